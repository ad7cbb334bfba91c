-- :checkhealth baton
local M = {}

local health = vim.health or require("health")
local start = health.start or health.report_start
local ok = health.ok or health.report_ok
local warn = health.warn or health.report_warn
local error = health.error or health.report_error
local info = health.info or health.report_info

--- Reports the Neovim version, setup(), the server binary and the running clients.
function M.check()
  start("baton: Neovim")
  if vim.fn.has("nvim-0.11") == 1 then
    ok("Neovim 0.11 or newer: vim.lsp.config / vim.lsp.enable are used")
  elseif vim.fn.has("nvim-0.8") == 1 then
    ok("Neovim 0.8 to 0.10: vim.lsp.start on FileType is used")
  else
    warn("Neovim older than 0.8: vim.lsp.start_client is used; upgrade for the best experience")
  end

  start("baton: setup")
  local baton = require("baton")
  if not baton.options then
    warn('require("baton").setup() has not been called', { "Call it from your config (see :help baton-setup)" })
    return
  end
  ok("setup() called; filetypes: " .. table.concat(baton.options.filetypes, ", "))

  start("baton: server")
  local cmd = baton.options.cmd
  local exe = type(cmd) == "table" and cmd[1] or nil
  if type(cmd) == "function" then
    info("cmd is a function; not checked")
  elseif not exe or vim.fn.executable(exe) ~= 1 then
    error(string.format("the server binary %q is not executable", tostring(exe)), {
      "Install Baton (cargo install --path . in its repository) or pass cmd = { '/path/to/baton', 'lsp' } to setup()",
    })
  else
    local out = vim.fn.system({ exe, "--version" })
    if vim.v.shell_error == 0 then
      ok(string.format("%s (%s)", vim.trim(out), vim.fn.exepath(exe)))
    else
      error(string.format("%s --version failed: %s", exe, vim.trim(out)))
    end
  end

  local get = vim.lsp.get_clients or vim.lsp.get_active_clients
  local clients = get({ name = "baton" })
  if #clients == 0 then
    info("no Baton client is running (open a TS/JS/SQL/Markdown/JSON file in a Baton workspace)")
  end
  for _, client in ipairs(clients) do
    local trusted = client.config.init_options and client.config.init_options.trusted
    ok(string.format("client %d running for %s (trusted: %s)", client.id, tostring(client.config.root_dir), vim.inspect(trusted)))
  end
end

return M
