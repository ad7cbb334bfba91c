-- Baton for Neovim (0.10 or newer): starts `baton lsp` for TS/JS/SQL/Markdown/JSON buffers and
-- handoff signals inside a Baton workspace and adds the workflow commands (:BatonAdvance,
-- :BatonGate, :BatonApprove, :BatonDispatch, :BatonEvidence). See :help baton.
local M = {}

--- The oldest Neovim the plugin supports (vim.fs.root, vim.lsp.status, inlay hints, file
--- watching). Older versions get one message from setup() and nothing else (:help baton-legacy).
M.min_version = "0.10"

--- The defaults `setup()` merges the user's options into.
M.defaults = {
  cmd = { "baton", "lsp" },
  filetypes = {
    "typescript", "typescriptreact", "javascript", "javascriptreact", "sql", "markdown", "json", "jsonc",
  },
  -- What makes a folder a Baton workspace, checked from the buffer's folder upward: the nearest
  -- folder with `baton.toml` wins; else the nearest with any other marker. A buffer under none is
  -- left alone (Baton has nothing to say there).
  root_markers = {
    "baton.toml", ".claude", "supabase/migrations", "prisma/migrations", "db/migrations", "migrations", "specs",
  },
  -- Whether a root folder is trusted: only a trusted folder may run the gates and agents it
  -- configures. A boolean, or a function(root_dir) returning one (it is only ever called with a
  -- folder path). Told to the server per folder (initializationOptions.trusted = { root URI } or
  -- false; docs/editor-protocol.md).
  trusted = false,
  -- Show code lenses ("✓ signal present", "⇄ WS-2 …") and inlay hints in Baton's buffers.
  codelens = true,
  inlay_hints = true,
  -- Tell the server about files changed outside Neovim (an approval recorded with the CLI, a
  -- signal written by an agent). Neovim leaves this off on Linux by default; installing
  -- `inotifywait` (inotify-tools) makes it cheap.
  watch_files = true,
  -- Echo the server's progress (scans, gates, agents) in the command line. Statusline plugins
  -- and fidget.nvim read the same messages through vim.lsp.status().
  progress = true,
  -- The filetype of `.signal` files (handoff signals are JSON).
  signal_filetype = "json",
  settings = {},
  -- Extra fields for the LSP client config (capabilities, on_attach, handlers, ...).
  lsp = {},
  -- Create the :Baton* user commands.
  commands = true,
}

--- The options in effect after `setup()`.
M.options = nil

--- Words for the workflow commands, in messages.
M.command_names = {
  ["baton.advanceStage"] = "Advance stage",
  ["baton.runGate"] = "Run gate",
  ["baton.recordApproval"] = "Record approval",
  ["baton.createHandoff"] = "Create handoff",
  ["baton.dispatchAgent"] = "Dispatch agent",
  ["baton.showEvidence"] = "Show evidence",
  ["baton.openLog"] = "Open gate log",
}

local notify_once_shown = {}
local function notify_once(key, msg, level)
  if notify_once_shown[key] then
    return
  end
  notify_once_shown[key] = true
  vim.notify(msg, level or vim.log.levels.WARN)
end

--- Whether this Neovim is recent enough for the plugin.
function M.supported()
  return vim.fn.has("nvim-" .. M.min_version) == 1
end

local function is_trusted(root)
  if type(root) ~= "string" or root == "" then
    return false
  end
  local trusted = M.options.trusted
  if type(trusted) == "function" then
    local ok, answer = pcall(trusted, root)
    if not ok then
      notify_once("trusted", "Baton: the `trusted` function of setup() failed (" .. tostring(answer)
        .. "); the folder is treated as not trusted", vim.log.levels.ERROR)
      return false
    end
    return answer and true or false
  end
  return trusted and true or false
end

-- initializationOptions.trusted for a client of `root`: the list of trusted folder URIs (just
-- the root's, when trusted), so that the server trusts that folder and nothing else — not a
-- file outside it, nor a folder added later.
local function trust_option(root)
  if is_trusted(root) then
    return { vim.uri_from_fname(root) }
  end
  return false
end

local function exists(path)
  return (vim.uv or vim.loop).fs_stat(path) ~= nil
end

--- The Baton workspace root of `bufnr` (see the `root_markers` option), or nil.
function M.find_root(bufnr)
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name == "" or name:match("^%a[%w+.-]*://") then
    return nil
  end
  local nearest
  for d in vim.fs.parents(vim.fs.normalize(name)) do
    if exists(d .. "/baton.toml") then
      return d
    end
    if not nearest then
      for _, marker in ipairs(M.options.root_markers) do
        if marker ~= "baton.toml" and exists(d .. "/" .. marker) then
          nearest = d
          break
        end
      end
    end
  end
  return nearest
end

-- The client capabilities: Neovim's, with file watching switched on (option `watch_files`).
local function capabilities()
  local caps = vim.lsp.protocol.make_client_capabilities()
  if M.options.watch_files then
    caps.workspace = caps.workspace or {}
    caps.workspace.didChangeWatchedFiles = { dynamicRegistration = true, relativePatternSupport = true }
  end
  return vim.tbl_deep_extend("force", caps, (M.options.lsp or {}).capabilities or {})
end

-- Code actions and lenses that carry a workflow command run it through `M.execute`, so that its
-- result or error is reported in words like the :Baton* commands.
local function client_commands()
  local commands = {}
  for name in pairs(M.command_names) do
    commands[name] = function(command)
      local args = command.arguments and command.arguments[1] or {}
      M.execute(command.command, args, function(err, result)
        if not err and command.command == "baton.showEvidence" then
          require("baton.commands").show_json(result)
        end
      end)
    end
  end
  return commands
end

local function client_config(root)
  local config = vim.tbl_deep_extend("force", {
    name = "baton",
    cmd = M.options.cmd,
    settings = M.options.settings,
    init_options = { trusted = trust_option(root) },
  }, M.options.lsp or {})
  config.capabilities = capabilities()
  config.commands = vim.tbl_extend("force", client_commands(), config.commands or {})
  if root then
    config.root_dir = root
  end
  return config
end

--- Whether this Neovim has `vim.lsp.config` / `vim.lsp.enable` (0.11 and newer).
function M.has_lsp_config()
  return vim.lsp.config ~= nil and vim.lsp.enable ~= nil and vim.fn.has("nvim-0.11") == 1
end

-- Whether the server binary can be run; otherwise one message pointing at :checkhealth.
local function binary_ok()
  local cmd = M.options.cmd
  if type(cmd) ~= "table" then
    return true
  end
  if vim.fn.executable(cmd[1]) == 1 then
    return true
  end
  notify_once("binary", string.format(
    "Baton: the server `%s` was not found, so Baton is not running. Run :checkhealth baton to see how to install it.",
    tostring(cmd[1])), vim.log.levels.ERROR)
  return false
end

-- Code lenses and inlay hints for a buffer Baton attached to.
local function on_attach(client, bufnr)
  if M.options.inlay_hints and vim.lsp.inlay_hint and client.server_capabilities.inlayHintProvider then
    vim.lsp.inlay_hint.enable(true, { bufnr = bufnr })
  end
  if M.options.codelens and client.server_capabilities.codeLensProvider then
    local group = vim.api.nvim_create_augroup("baton_codelens_" .. bufnr, { clear = true })
    local function refresh()
      if vim.api.nvim_buf_is_valid(bufnr) then
        vim.lsp.codelens.refresh({ bufnr = bufnr })
      end
    end
    vim.api.nvim_create_autocmd({ "BufEnter", "InsertLeave", "BufWritePost" }, {
      group = group,
      buffer = bufnr,
      callback = refresh,
    })
    refresh()
  end
end

local function start_legacy(bufnr)
  local root = M.find_root(bufnr)
  if not root or not binary_ok() then
    return
  end
  vim.lsp.start(client_config(root), { bufnr = bufnr })
end

local function setup_autocommands()
  local group = vim.api.nvim_create_augroup("baton", { clear = true })
  vim.api.nvim_create_autocmd("LspAttach", {
    group = group,
    callback = function(args)
      local client = vim.lsp.get_client_by_id(args.data.client_id)
      if client and client.name == "baton" then
        on_attach(client, args.buf)
      end
    end,
  })
  if M.options.progress then
    vim.api.nvim_create_autocmd("LspProgress", {
      group = group,
      callback = function(args)
        local client = vim.lsp.get_client_by_id(args.data.client_id)
        if not client or client.name ~= "baton" then
          return
        end
        local value = args.data.params and args.data.params.value or {}
        local text = value.kind == "end" and "" or vim.lsp.status()
        vim.api.nvim_echo({ { text } }, false, {})
      end,
    })
  end
  vim.api.nvim_create_autocmd("FileType", {
    group = group,
    pattern = M.options.filetypes,
    callback = function(args)
      if not M.has_lsp_config() then
        start_legacy(args.buf)
      elseif M.find_root(args.buf) then
        -- vim.lsp.enable() skips a missing binary silently: say so (once).
        binary_ok()
      end
    end,
  })
end

--- Configures and enables the Baton language server; creates the user commands. On a Neovim
--- older than `M.min_version` it says so once and does nothing else.
function M.setup(opts)
  M.options = vim.tbl_deep_extend("force", {}, M.defaults, opts or {})
  if not M.supported() then
    local v = vim.version()
    vim.notify(string.format(
      "Baton: this plugin needs Neovim %s or newer (this is %d.%d.%d); Baton is not started. "
        .. "See :help baton-legacy to run the server without the plugin.",
      M.min_version, v.major, v.minor, v.patch), vim.log.levels.WARN)
    return
  end
  if M.options.signal_filetype then
    vim.filetype.add({ extension = { signal = M.options.signal_filetype } })
    if not vim.tbl_contains(M.options.filetypes, M.options.signal_filetype) then
      table.insert(M.options.filetypes, M.options.signal_filetype)
    end
  end
  setup_autocommands()
  if M.has_lsp_config() then
    local config = client_config(nil)
    config.filetypes = M.options.filetypes
    -- Start only in a Baton workspace, and only when the binary is there.
    config.root_dir = function(bufnr, on_dir)
      local root = M.find_root(bufnr)
      if root and binary_ok() then
        on_dir(root)
      end
    end
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
    -- The buffer may not be attached (e.g. a baton.toml): the client of its root will do.
    local root = M.options and M.find_root(bufnr)
    for _, client in ipairs(get({ name = "baton" })) do
      if root == nil or client.config.root_dir == root then
        return client
      end
    end
  end
  return clients[1]
end

--- A JSON-RPC error in words: its message, without the protocol's numeric code.
function M.error_words(err)
  if type(err) ~= "table" then
    return tostring(err)
  end
  local codes = {
    [-32800] = "cancelled",
    [-32803] = "the server could not complete it",
    [-32603] = "internal error in the server (see :LspLog)",
    [-32601] = "the server does not know this request",
  }
  local message = type(err.message) == "string" and err.message:gsub("^%-?%d+:%s*", "") or nil
  if message and message ~= "" then
    return message
  end
  return codes[err.code] or "unknown error"
end

--- Sends `workspace/executeCommand` with `{ command = command, arguments = { args } }` to the
--- Baton client; reports the answer or the error in words with vim.notify; calls
--- `on_done(err, result)`.
function M.execute(command, args, on_done)
  local client = M.client(0)
  local name = M.command_names[command] or command
  local function finish(err, result)
    if on_done then
      on_done(err, result)
    end
  end
  if not client then
    vim.notify("Baton: " .. name .. ": Baton is not running for this buffer (run :checkhealth baton)",
      vim.log.levels.ERROR)
    return finish({ message = "not running" }, nil)
  end
  local params = { command = command, arguments = { args } }
  local handler = function(err, result)
    if err then
      vim.notify(string.format("Baton: %s failed: %s", name, M.error_words(err)), vim.log.levels.ERROR)
    elseif type(result) == "table" and type(result.message) == "string" then
      vim.notify("Baton: " .. result.message, vim.log.levels.INFO)
    elseif command ~= "baton.showEvidence" then
      vim.notify("Baton: " .. name .. ": done", vim.log.levels.INFO)
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
