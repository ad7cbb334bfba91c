-- The Neovim plugin (editors/nvim) in a real headless Neovim 0.11:
--   BATON_BIN=… BATON_ROOT=… nvim --headless --clean -u NONE -c "lua dofile('tests/nvim/plugin.lua')"
-- setup() with the fresh binary → diagnostics on a copy of examples/wor-321 → a quick fix chosen
-- through vim.lsp.buf.code_action → the buffer changes and the finding clears → :BatonAdvance and
-- :BatonApprove send workspace/executeCommand and report the server's answer with vim.notify →
-- :checkhealth baton. Also (issue #27): setup() with a `trusted` function, no client outside a
-- Baton workspace, `.signal` files attached, inlay hints on, `:help baton`, a change made outside
-- Neovim (the CLI records an approval) seen through watched files, a gate run from a code action
-- with $/progress in vim.lsp.status() and its result in words, an error in words, and a missing
-- binary pointing at :checkhealth baton. Any failure raises a Lua error.

local baton_bin = assert(os.getenv("BATON_BIN"), "BATON_BIN is not set")
local root = assert(os.getenv("BATON_ROOT"), "BATON_ROOT is not set")
local timeout = 20000
local rule = "rls/prisma-outside-context"

local function check(condition, message)
  if not condition then
    error(message, 2)
  end
end

vim.opt.runtimepath:prepend(vim.fn.getcwd() .. "/editors/nvim")

-- Capture what the plugin reports.
local notes = {}
vim.notify = function(msg, level)
  table.insert(notes, { msg = msg, level = level })
end

-- Progress as vim.lsp.status() shows it (what statusline plugins and fidget.nvim read).
local progress = {}
vim.api.nvim_create_autocmd("LspProgress", {
  callback = function(args)
    local value = args.data.params.value
    table.insert(progress, { kind = value.kind, title = value.title, status = vim.lsp.status() })
  end,
})

-- The README's `trusted` function: it would fail if ever called with anything but a folder.
local parent = vim.fs.dirname(root)
require("baton").setup({
  cmd = { baton_bin, "lsp" },
  trusted = function(dir) return dir:find(parent, 1, true) == 1 end,
})
check(vim.fn.exists(":BatonAdvance") == 2 and vim.fn.exists(":BatonGate") == 2 and vim.fn.exists(":BatonApprove") == 2
  and vim.fn.exists(":BatonDispatch") == 2, "the user commands were not created")

vim.cmd("edit " .. root .. "/scripts/verify-all-migrations.ts")
local bufnr = vim.api.nvim_get_current_buf()
check(vim.bo[bufnr].filetype == "typescript", "filetype is " .. vim.bo[bufnr].filetype)
check(vim.wait(timeout, function() return require("baton").client(bufnr) ~= nil end, 50), "no Baton client attached")
local client = require("baton").client(bufnr)
check(client.config.root_dir == root, "root_dir is " .. tostring(client.config.root_dir))
check(vim.deep_equal(client.config.init_options.trusted, { vim.uri_from_fname(root) }),
  "the trusted function's answer was not sent: " .. vim.inspect(client.config.init_options))
check(vim.lsp.inlay_hint.is_enabled({ bufnr = bufnr }), "inlay hints are off in a Baton buffer")
check(client.capabilities.workspace.didChangeWatchedFiles.dynamicRegistration == true, "file watching is off")

-- A TypeScript file outside any Baton workspace (no baton.toml, .claude, migrations, specs): no client.
local elsewhere = vim.fn.tempname()
vim.fn.mkdir(elsewhere, "p")
vim.fn.writefile({ "export const a = 1;" }, elsewhere .. "/a.ts")
vim.cmd("edit " .. elsewhere .. "/a.ts")
vim.wait(500, function() return false end, 50)
check(#vim.lsp.get_clients({ name = "baton", bufnr = 0 }) == 0, "Baton attached outside a Baton workspace")
check(#vim.lsp.get_clients({ name = "baton" }) == 1, "a second Baton client was started")

-- A handoff signal gets a filetype and the client.
vim.cmd("edit " .. root .. "/.claude/handoff/ws1-db-complete.signal")
check(vim.bo.filetype == "json", "a .signal file has filetype " .. vim.bo.filetype)
check(vim.wait(timeout, function() return #vim.lsp.get_clients({ name = "baton", bufnr = 0 }) == 1 end, 50),
  "Baton did not attach to the signal")

-- :help baton works (the help tags are shipped).
vim.cmd("help baton")
check(vim.bo.buftype == "help", ":help baton did not open the help")
vim.cmd("help baton-legacy")
vim.cmd("close")
vim.cmd("buffer " .. bufnr)

local function findings()
  local out = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    if d.code == rule or (d.user_data and d.user_data.lsp and d.user_data.lsp.code == rule) then
      table.insert(out, d)
    end
  end
  return out
end

local function wait_note(pattern)
  local found
  check(vim.wait(timeout, function()
    for _, n in ipairs(notes) do
      if n.msg:find(pattern) then found = n return true end
    end
    return false
  end, 50), "no notification matching " .. pattern .. "; got: " .. vim.inspect(notes))
  return found
end

-- 1. Diagnostics.
check(vim.wait(timeout, function() return #findings() >= 3 end, 50), "no " .. rule .. " diagnostics")
local count = #findings()
local target
for _, d in ipairs(findings()) do
  if d.lnum == 44 then target = d end
end
check(target, "no finding on line 45")

-- 2. The quick fix, chosen the way a user does: cursor on the finding, code_action filtered.
local before = table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), "\n")
vim.api.nvim_win_set_cursor(0, { target.lnum + 1, target.col })
vim.lsp.buf.code_action({
  apply = true,
  filter = function(action) return action.title == "Wrap in withSystemContext()" end,
})
check(vim.wait(timeout, function()
  return table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), "\n") ~= before
end, 50), "the code action did not change the buffer")
local text = table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), "\n")
check(text:find("withSystemContext(async (tx) => tx.migrationRun.findFirst({", 1, true), "the fix was not applied")
check(vim.wait(timeout, function()
  for _, d in ipairs(findings()) do
    if d.lnum == 44 then return false end
  end
  return #findings() == count - 1
end, 50), "the fixed finding did not clear")


-- 3. A change made outside Neovim: the CLI records the architecture approval; the spec's
-- "approval missing" goes away without :e! (watched files).
local spec = root .. "/docs/specs/WOR-321-spec.md"
vim.cmd("edit " .. spec)
local specbuf = vim.api.nvim_get_current_buf()
local function unmet()
  for _, d in ipairs(vim.diagnostic.get(specbuf)) do
    if d.message:find("cannot enter", 1, true) then return d end
  end
end
check(vim.wait(timeout, function()
  local d = unmet()
  return d and d.message:find("approval:architecture missing", 1, true)
end, 50), "no unmet-approval diagnostic on the spec: " .. vim.inspect(vim.diagnostic.get(specbuf)))
local approved = vim.system({ baton_bin, "stage", "approve", "WOR-321", "--role", "architecture", "--by", "Ada",
  "--note", "outside the editor" }, { cwd = root, text = true }):wait()
check(approved.code == 0, "baton stage approve failed: " .. approved.stderr)
check(vim.wait(timeout, function()
  local d = unmet()
  return d and not d.message:find("approval:architecture", 1, true)
end, 50), "the approval recorded outside Neovim was not noticed: " .. vim.inspect(vim.tbl_map(function(d) return d.message end, vim.diagnostic.get(specbuf))) .. vim.inspect(approved))

-- 4. A gate run from a code action on the status line: progress in vim.lsp.status(), the
-- result in words.
notes = {}
progress = {}
vim.api.nvim_win_set_cursor(0, { unmet().lnum + 1, 0 })
vim.lsp.buf.code_action({
  apply = true,
  filter = function(action) return action.title == "Run gate lint" end,
})
local result = wait_note("gate lint")
check(result.level == vim.log.levels.INFO or result.level == vim.log.levels.ERROR, "no level: " .. vim.inspect(result))
check(not result.msg:find("%-32%d%d%d"), "a protocol code in the message: " .. result.msg)
local shown = false
for _, p in ipairs(progress) do
  if p.title and p.title:find("lint", 1, true) and p.status:find("lint", 1, true) then shown = true end
end
check(shown, "the gate's progress was not in vim.lsp.status(): " .. vim.inspect(progress))

-- 5. An error in words: a gate that does not exist.
notes = {}
require("baton").execute("baton.runGate", { uri = vim.uri_from_bufnr(0), gate = "no-such-gate" })
local failed = wait_note("Run gate failed")
check(failed.level == vim.log.levels.ERROR and not failed.msg:find("%-32%d%d%d"), "error not in words: " .. failed.msg)

-- 6. User commands: what they send, and the server's answer reported through vim.notify.
local sent = {}
local request = client.request
client.request = function(self, method, params, ...)
  if method == "workspace/executeCommand" then table.insert(sent, params) end
  return request(self, method, params, ...)
end

notes = {}
vim.cmd("BatonAdvance implement")
check(#sent == 1, "BatonAdvance sent " .. #sent .. " requests")
check(sent[1].command == "baton.advanceStage", "sent " .. tostring(sent[1].command))
local args = sent[1].arguments[1]
check(args.uri == vim.uri_from_bufnr(0) and args.stage == "implement", "wrong arguments: " .. vim.inspect(args))
-- Moving back without `backward` is refused: the user hears why, in words.
local note = wait_note("Advance stage")
check(note.level == vim.log.levels.ERROR, "not refused: " .. note.msg)
check(note.msg:find("^Baton: Advance stage failed: "), "unclean error: " .. note.msg)
check(not note.msg:find("panicked") and not note.msg:find("%-32%d%d%d"), "not in words: " .. note.msg)

-- :BatonApprove with role and name on the command line asks only for the note.
vim.ui.input = function(opts, on_confirm) on_confirm(opts.prompt:find("Note") and "reviewed the RLS design" or nil) end
vim.cmd("BatonApprove architecture Ada Lovelace")
check(#sent == 2 and sent[2].command == "baton.recordApproval", "BatonApprove did not send baton.recordApproval")
local a = sent[2].arguments[1]
check(a.role == "architecture" and a.by == "Ada Lovelace" and a.note == "reviewed the RLS design",
  "wrong approval arguments: " .. vim.inspect(a))
wait_note("recorded")

-- :BatonGate without an argument offers the gates of baton.toml.
local offered
vim.ui.select = function(items, _, on_choice) offered = items on_choice(items[1]) end
vim.cmd("BatonGate")
check(offered and #offered >= 1, "BatonGate offered nothing")
check(sent[3] and sent[3].command == "baton.runGate" and sent[3].arguments[1].gate == offered[1], "BatonGate sent " .. vim.inspect(sent[3]))
client.request = request

-- 7. :checkhealth baton runs and finds the binary.
vim.cmd("checkhealth baton")
local report = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), "\n")
check(report:find("baton", 1, true), "empty health report")
check(report:find("baton 0%.") or report:find("baton %d"), "the health report does not show the server version:\n" .. report)
check(not report:find("ERROR", 1, true) and not report:find("Failed to run healthcheck", 1, true), "health errors:\n" .. report)

-- 8. A missing binary: one message that points at :checkhealth baton, no client.
vim.cmd("silent! only")
notes = {}
require("baton").setup({ cmd = { "/nonexistent/baton", "lsp" } })
vim.fn.writefile({ "export const b = 2;" }, root .. "/scripts/new-file.ts")
vim.cmd("edit " .. root .. "/scripts/new-file.ts")
local missing = wait_note("was not found")
check(missing.msg:find(":checkhealth baton", 1, true), "the message does not point at :checkhealth: " .. missing.msg)

io.stdout:write("nvim plugin: ok (" .. tostring(vim.version().minor) .. ")\n")
vim.cmd("qall!")
