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
  local baton = require("baton")
  if not baton.supported() then
    local v = vim.version()
    error(string.format("Neovim %d.%d.%d is older than %s, the oldest this plugin supports", v.major, v.minor, v.patch,
      baton.min_version), { "Upgrade Neovim, or run the server without the plugin: :help baton-legacy" })
    return
  elseif vim.fn.has("nvim-0.11") == 1 then
    ok("Neovim 0.11 or newer: vim.lsp.config / vim.lsp.enable are used")
  else
    ok("Neovim 0.10: vim.lsp.start on FileType is used")
  end
  if vim.fn.has("linux") == 1 and vim.fn.executable("inotifywait") ~= 1 then
    info("inotifywait (inotify-tools) is not installed: files changed outside Neovim are watched with libuv, "
      .. "which is slower on large folders")
  end

  start("baton: setup")
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
      "Install Baton: `cargo install --locked --path .` in a checkout of its repository (or `--git URL`), "
        .. "or with Mason (see :help baton-install)",
      "Or pass cmd = { '/path/to/baton', 'lsp' } to setup()",
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
