-- The stage walk-through of docs/stages.md in a real Neovim (0.7 and newer), run headless:
--   BATON_BIN=… BATON_ROOT=… nvim --headless --clean -u NONE -c "lua dofile('tests/nvim/stages.lua')"
-- BATON_ROOT is a copy of examples/wor-321 prepared by tests/common (`walkthrough_workspace`):
-- gates are small shell commands (lint and test pass; type-check fails while
-- lib/dto/migration.ts assigns a string to a number) and the spec's status is `implement`.
-- The user opens WOR-321's spec, tries "Advance WOR-321 → qa" (refused: approval missing,
-- type-check failing), records the architecture approval, fixes the code from a buffer, and
-- advances with one code action: the status line changes through workspace/applyEdit and the
-- handoff signal and context snapshot appear. Any failure raises a Lua error naming the step.

local baton = assert(os.getenv("BATON_BIN"), "BATON_BIN is not set")
local root = assert(os.getenv("BATON_ROOT"), "BATON_ROOT is not set")
local timeout = 20000
local item = "WOR-321"
local unmet = "workflow/requirement-unmet"
local review = "spec/approved-without-architecture-review"
local step = "start"

local function check(condition, message)
  if not condition then
    error("nvim stages [" .. step .. "]: " .. message, 2)
  end
end

local function read(path)
  local file = io.open(path, "r")
  if not file then return nil end
  local text = file:read("*a")
  file:close()
  return text
end

local function json_decode(text)
  if vim.json then return vim.json.decode(text) end
  return vim.fn.json_decode(text)
end

local function start(bufnr)
  local config = { name = "baton", cmd = { baton, "lsp" }, root_dir = root, init_options = { trusted = true } }
  if vim.lsp.start then
    return vim.lsp.start(config, { bufnr = bufnr })
  end
  local id = vim.lsp.start_client(config)
  vim.lsp.buf_attach_client(bufnr, id)
  return id
end

local function buffer_text(bufnr)
  return table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), "\n") .. "\n"
end

-- The 0-based row of the front matter `status:` line, and the line.
local function status_line(bufnr)
  for i, line in ipairs(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)) do
    if line:match("^status:") then return i - 1, line end
  end
  error("nvim stages [" .. step .. "]: the spec has no status line")
end

local function code_of(d)
  local lsp = d.user_data and d.user_data.lsp or {}
  return lsp.code or d.code
end

-- Messages of the diagnostics with `code` on the status line.
local function on_status_line(bufnr, code)
  local row = status_line(bufnr)
  local out = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    if d.lnum == row and code_of(d) == code then table.insert(out, d.message) end
  end
  return out
end

local function any(list, needle)
  for _, text in ipairs(list) do
    if text:find(needle, 1, true) then return text end
  end
  return nil
end

-- Waits until `accept(unmet messages, review messages)` holds on the status line.
local function wait_status(bufnr, accept, what)
  local u, r = {}, {}
  local ok = vim.wait(timeout, function()
    u, r = on_status_line(bufnr, unmet), on_status_line(bufnr, review)
    return accept(u, r)
  end, 50)
  check(ok, what .. "\n  " .. unmet .. ": " .. vim.inspect(u) .. "\n  " .. review .. ": " .. vim.inspect(r))
  return u, r
end

-- The code actions the server offers on the status line.
local function status_actions(bufnr)
  local row = status_line(bufnr)
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    range = { start = { line = row, character = 0 }, ["end"] = { line = row, character = 0 } },
    context = { diagnostics = {} },
  }
  local actions = {}
  for _, response in pairs(vim.lsp.buf_request_sync(bufnr, "textDocument/codeAction", params, timeout) or {}) do
    for _, action in ipairs(response.result or {}) do table.insert(actions, action) end
  end
  return actions
end

local function action_titled(bufnr, title)
  local titles = {}
  for _, action in ipairs(status_actions(bufnr)) do
    if action.title == title then return action end
    table.insert(titles, action.title)
  end
  error("nvim stages [" .. step .. "]: no code action '" .. title .. "' on the status line; got " .. vim.inspect(titles))
end

-- Sends workspace/executeCommand as Neovim does for a code action's command, and waits for the
-- answer (server requests such as workspace/applyEdit are handled while waiting).
local function execute(bufnr, command)
  local done, err, result = false, nil, nil
  vim.lsp.buf_request(bufnr, "workspace/executeCommand",
    { command = command.command, arguments = command.arguments },
    function(e, r) err, result, done = e, r, true end)
  check(vim.wait(40000, function() return done end, 50), "no answer to " .. command.command)
  return err, result
end

-- 1. Open the spec: the status line says what entering its stage lacks.
step = "open the spec"
local spec_path = root .. "/docs/specs/WOR-321-spec.md"
local original = read(spec_path)
check(original and original:find("\nstatus: implement\n", 1, true), "the prepared spec is not at `implement`")
vim.cmd("edit " .. spec_path)
local spec = vim.api.nvim_get_current_buf()
check(start(spec), "the language server did not start")
wait_status(spec, function(u, r)
  return any(u, "cannot enter implement: approval:architecture missing") ~= nil and #r == 1
end, "no requirement-unmet diagnostic naming the missing architecture approval")

-- 2. "Advance WOR-321 → qa": refused, nothing changes, the diagnostic says why.
step = "advance refused"
local advance = action_titled(spec, "Advance " .. item .. " → qa")
check(advance.command and advance.command.command == "baton.advanceStage",
  "the advance action carries no baton.advanceStage command: " .. vim.inspect(advance))
local err = execute(spec, advance.command)
check(err, "the advance was not refused")
local refusal = tostring(err.message)
check(refusal:find("cannot enter qa: approval:architecture missing", 1, true)
  and refusal:find("gate:type-check failing (exit 2)", 1, true)
  and refusal:find("nothing changed", 1, true), "unexpected refusal: " .. refusal)
check(read(spec_path) == original, "the spec file changed although the advance was refused")
check(buffer_text(spec) == original and not vim.bo[spec].modified, "the spec buffer changed although the advance was refused")
local tail = "lib/dto/migration.ts(24,14): error TS2322: Type 'string' is not assignable to type 'number'."
wait_status(spec, function(u)
  local message = any(u, "cannot enter qa: ")
  return message ~= nil and message:find("approval:architecture missing", 1, true) ~= nil
    and message:find("gate:type-check failing (exit 2): " .. tail, 1, true) ~= nil
end, "the diagnostic does not name the missing approval and the failing type-check with its output")
check(read(root .. "/.baton/logs/" .. item .. "/gate-type-check.log"), "no type-check log was written")
local open_log = action_titled(spec, "Open gate log (type-check)")
check(open_log.command.arguments[1].path == ".baton/logs/" .. item .. "/gate-type-check.log",
  "the log action opens " .. vim.inspect(open_log.command.arguments))
if vim.lsp.handlers["window/showDocument"] then
  -- Neovim 0.8 and newer show the log through window/showDocument (0.7 has no handler for it).
  local log_err = execute(spec, open_log.command)
  check(not log_err, "opening the log failed: " .. vim.inspect(log_err))
  check(vim.wait(timeout, function()
    return vim.api.nvim_buf_get_name(0):find("gate%-type%-check%.log$") ~= nil
  end, 50), "the gate log was not shown")
  check(buffer_text(0):find(tail, 1, true), "the shown log lacks the gate's output")
  vim.cmd("buffer " .. spec)
end

-- 3. Record the architecture approval (what :BatonApprove architecture Ada Lovelace sends).
step = "approve"
local approve_err, approved = execute(spec, {
  command = "baton.recordApproval",
  arguments = { { uri = vim.uri_from_bufnr(spec), role = "architecture", by = "Ada Lovelace", note = "RLS design reviewed" } },
})
check(not approve_err, "recording the approval failed: " .. vim.inspect(approve_err))
check(approved and tostring(approved.message):find("recorded approval:architecture by Ada Lovelace", 1, true),
  "unexpected answer: " .. vim.inspect(approved))
local evidence = read(root .. "/.baton/evidence/" .. item .. "/approval:architecture.json")
check(evidence and json_decode(evidence).by == "Ada Lovelace", "no approval evidence on disk")
-- Both rules now agree that the approval exists; only the type-check stands in the way.
wait_status(spec, function(u, r)
  return #r == 0 and #u == 1 and u[1]:find("^cannot enter qa: gate:type%-check failing") ~= nil
    and not any(u, "approval:")
end, "after the approval, the status line should only name the failing type-check")

-- 4. Fix the code in a buffer and write it.
step = "fix"
vim.cmd("edit " .. root .. "/lib/dto/migration.ts")
local dto = vim.api.nvim_get_current_buf()
local fixed = false
for i, line in ipairs(vim.api.nvim_buf_get_lines(dto, 0, -1, false)) do
  if line:find('VALIDATION_RETRY_LIMIT: number = "3"', 1, true) then
    vim.api.nvim_buf_set_lines(dto, i - 1, i, false, { "export const VALIDATION_RETRY_LIMIT: number = 3;" })
    fixed = true
  end
end
check(fixed, "the planted bug is not in lib/dto/migration.ts")
vim.cmd("write")
check(not read(root .. "/lib/dto/migration.ts"):find('= "3"', 1, true), "the fix was not written")
vim.cmd("buffer " .. spec)

-- 5. Advance with one code action: the status line changes in the buffer, the diagnostics
-- clear, the handoff signal and the context snapshot appear.
step = "advance"
local again = action_titled(spec, "Advance " .. item .. " → qa")
local advance_err, advanced = execute(spec, again.command)
check(not advance_err, "the advance failed: " .. vim.inspect(advance_err))
check(tostring(advanced and advanced.message):find(item .. ": implement → qa", 1, true), "unexpected answer: " .. vim.inspect(advanced))
local _, line = status_line(spec)
check(line == "status: Ready for QA", "the status line in the buffer is " .. line)
check(vim.bo[spec].modified, "the status change was not applied to the buffer (so it cannot be undone)")
wait_status(spec, function(u, r) return #u == 0 and #r == 0 end, "the diagnostics did not clear after the advance")

local signal_text = read(root .. "/.claude/handoff/" .. item .. "-qa.signal")
check(signal_text, "no handoff signal .claude/handoff/" .. item .. "-qa.signal")
local signal = json_decode(signal_text)
check(signal.workflow_id == item and signal.stage == "qa" and signal.previous_stage == "implement"
  and signal.status == "complete", "unexpected signal: " .. signal_text)
check(signal.validation["type-check"] == "pass" and signal.validation.lint == "pass" and signal.validation.test == "pass",
  "the signal's validation is not all pass: " .. signal_text)
local snapshots = vim.fn.glob(root .. "/.claude/handoff/context-*-" .. item .. "-qa.json", false, true)
check(#snapshots == 1, "expected one context snapshot, found " .. vim.inspect(snapshots))
local snapshot = json_decode(read(snapshots[1]))
check(snapshot.workflow_id == item and snapshot.phase == "implement-complete", "unexpected snapshot: " .. read(snapshots[1]))
check(not read(root .. "/.baton/advance/" .. item .. ".json"), "the refused-advance record was not cleared")

io.stdout:write("nvim stages: ok (" .. tostring(vim.version and vim.version().minor or "?") .. ")\n")
vim.cmd("qall!")
