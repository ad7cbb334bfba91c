-- The plugin on a Neovim older than it supports (Debian 12's 0.7.2): setup() says once, in
-- words, which version it needs and where to look, and nothing else happens — no error per
-- buffer, no client. Run by tests/nvim.rs on every listed Neovim older than 0.10.

local root = assert(os.getenv("BATON_ROOT"), "BATON_ROOT is not set")

local function check(condition, message)
  if not condition then
    error(message, 2)
  end
end

vim.opt.runtimepath:prepend(vim.fn.getcwd() .. "/editors/nvim")
local notes = {}
vim.notify = function(msg, level)
  table.insert(notes, { msg = msg, level = level })
end

require("baton").setup({
  cmd = { assert(os.getenv("BATON_BIN")), "lsp" },
  trusted = function(dir) return dir:find(root, 1, true) == 1 end,
})
check(#notes == 1, "expected one message, got " .. vim.inspect(notes))
check(notes[1].msg:find("needs Neovim 0.10 or newer", 1, true) and notes[1].msg:find(":help baton-legacy", 1, true),
  "unclear message: " .. notes[1].msg)
vim.v.errmsg = ""
vim.cmd("edit " .. root .. "/scripts/verify-all-migrations.ts")
vim.cmd("edit " .. root .. "/docs/specs/WOR-321-spec.md")
vim.wait(500, function() return false end, 50)
check(vim.v.errmsg == "", "an error was raised: " .. vim.v.errmsg)
check(#vim.lsp.get_active_clients() == 0, "a client was started")
check(#notes == 1, "more messages: " .. vim.inspect(notes))
vim.cmd("help baton-legacy")
check(vim.bo.buftype == "help", ":help baton-legacy did not open the help")

io.stdout:write("nvim legacy: ok\n")
vim.cmd("qall!")
