-- Baton for Neovim: starts `baton lsp` for TS/JS/SQL/Markdown/JSON buffers inside a Baton
-- workspace and adds the workflow commands (:BatonAdvance, :BatonGate, :BatonApprove,
-- :BatonDispatch, :BatonEvidence). See :help baton.
local M = {}

--- The defaults `setup()` merges the user's options into.
M.defaults = {
  cmd = { "baton", "lsp" },
  filetypes = { "typescript", "typescriptreact", "javascript", "javascriptreact", "sql", "markdown", "json", "jsonc" },
  -- The first of these found at or above the buffer's file marks the workspace root.
  root_markers = { "baton.toml", ".claude", ".git" },
  -- Whether a root folder is trusted: only a trusted folder may run the gates and agents it
  -- configures. A boolean, or a function(root_dir) returning one. Told to the server per folder
  -- (initializationOptions.trusted = { root URI } or false; docs/editor-protocol.md).
  trusted = false,
  settings = {},
  -- Extra fields for the LSP client config (capabilities, on_attach, handlers, ...).
  lsp = {},
  -- Create the :Baton* user commands.
  commands = true,
}

--- The options in effect after `setup()`.
M.options = nil

local function is_trusted(root)
  local trusted = M.options.trusted
  if type(trusted) == "function" then
    return trusted(root) and true or false
  end
  return trusted and true or false
end

-- initializationOptions.trusted for a client of `root`: the list of trusted folder URIs (just
-- the root's, when trusted), so that the server trusts that folder and nothing else — not a
-- file outside it, nor a folder added later.
local function trust_option(root)
  if root and is_trusted(root) then
    return { vim.uri_from_fname(root) }
  end
  return false
end

local function find_root(bufnr)
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name == "" then
    return nil
  end
  if vim.fs and vim.fs.root then
    return vim.fs.root(bufnr, M.options.root_markers)
  end
  local found = vim.fs.find(M.options.root_markers, { path = vim.fs.dirname(name), upward = true })[1]
  return found and vim.fs.dirname(found) or nil
end

local function client_config(root)
  local config = vim.tbl_deep_extend("force", {
    name = "baton",
    cmd = M.options.cmd,
    settings = M.options.settings,
    init_options = { trusted = trust_option(root) },
  }, M.options.lsp or {})
  if root then
    config.root_dir = root
  end
  return config
end

--- Whether this Neovim has `vim.lsp.config` / `vim.lsp.enable` (0.11 and newer).
function M.has_lsp_config()
  return vim.lsp.config ~= nil and vim.lsp.enable ~= nil and vim.fn.has("nvim-0.11") == 1
end

local function start_legacy(bufnr)
  local root = find_root(bufnr)
  if not root then
    return
  end
  local config = client_config(root)
  if vim.lsp.start then
    vim.lsp.start(config, { bufnr = bufnr })
    return
  end
  -- Neovim 0.7: no vim.lsp.start; one client per root.
  M._legacy_clients = M._legacy_clients or {}
  local id = M._legacy_clients[root]
  if not id or not vim.lsp.get_client_by_id(id) then
    id = vim.lsp.start_client(config)
    M._legacy_clients[root] = id
  end
  if id then
    vim.lsp.buf_attach_client(bufnr, id)
  end
end

--- Configures and enables the Baton language server; creates the user commands.
function M.setup(opts)
  M.options = vim.tbl_deep_extend("force", {}, M.defaults, opts or {})
  if M.has_lsp_config() then
    local config = client_config(nil)
    config.filetypes = M.options.filetypes
    config.root_markers = M.options.root_markers
    -- Resolve trust per root when the client starts.
    config.before_init = function(params, client_cfg)
      local root = client_cfg.root_dir
      local trust = { trusted = trust_option(root) }
      params.initializationOptions = vim.tbl_extend("force", params.initializationOptions or {}, trust)
      client_cfg.init_options = vim.tbl_extend("force", client_cfg.init_options or {}, trust)
      if M.options.lsp and M.options.lsp.before_init then
        M.options.lsp.before_init(params, client_cfg)
      end
    end
    vim.lsp.config("baton", config)
    vim.lsp.enable("baton")
  else
    local group = vim.api.nvim_create_augroup("baton", { clear = true })
    vim.api.nvim_create_autocmd("FileType", {
      group = group,
      pattern = M.options.filetypes,
      callback = function(args)
        start_legacy(args.buf)
      end,
    })
    -- Buffers already open when setup() runs.
    for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
      if vim.api.nvim_buf_is_loaded(bufnr) and vim.tbl_contains(M.options.filetypes, vim.bo[bufnr].filetype) then
        start_legacy(bufnr)
      end
    end
  end
  if M.options.commands then
    require("baton.commands").create()
  end
end

--- The Baton client attached to `bufnr` (default: current buffer), or nil.
function M.client(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local get = vim.lsp.get_clients or vim.lsp.get_active_clients
  local clients = get({ name = "baton", bufnr = bufnr })
  if #clients == 0 then
    -- The buffer may not be attached (e.g. a baton.toml): any Baton client will do.
    clients = get({ name = "baton" })
  end
  return clients[1]
end

--- Sends `workspace/executeCommand` with `{ command = command, arguments = { args } }` to the
--- Baton client; reports the answer or the error with vim.notify; calls `on_done(err, result)`.
function M.execute(command, args, on_done)
  local client = M.client(0)
  local function finish(err, result)
    if on_done then
      on_done(err, result)
    end
  end
  if not client then
    vim.notify("Baton: the language server is not running for this buffer", vim.log.levels.ERROR)
    return finish({ message = "not running" }, nil)
  end
  local params = { command = command, arguments = { args } }
  local handler = function(err, result)
    if err then
      vim.notify(string.format("Baton: %s failed: %s", command, err.message or vim.inspect(err)), vim.log.levels.ERROR)
    elseif type(result) == "table" and type(result.message) == "string" then
      vim.notify("Baton: " .. result.message, vim.log.levels.INFO)
    end
    finish(err, result)
  end
  local bufnr = vim.api.nvim_get_current_buf()
  if vim.fn.has("nvim-0.11") == 1 then
    client:request("workspace/executeCommand", params, handler, bufnr)
  else
    client.request("workspace/executeCommand", params, handler, bufnr)
  end
end

return M
