-- End-to-end test of `baton lsp` in a real Neovim (0.7 and newer), run headless:
--   BATON_BIN=… BATON_ROOT=… nvim --headless --clean -u NONE -c "lua dofile('tests/nvim/e2e.lua')"
-- Opens files of a copy of examples/wor-321, waits for every finding `baton check` reports,
-- applies a quick fix, checks the finding clears, and asks for hover. Any failure raises a Lua error.

local baton = assert(os.getenv("BATON_BIN"), "BATON_BIN is not set")
local root = assert(os.getenv("BATON_ROOT"), "BATON_ROOT is not set")
local timeout = 20000

local function check(condition, message)
  if not condition then
    error(message, 2)
  end
end

local function start(bufnr)
  local config = {
    name = "baton", cmd = { baton, "lsp" }, root_dir = root, init_options = { trusted = false },
    -- Enables the test-only command that panics, to check the server survives it.
    cmd_env = { BATON_TEST_HOOKS = "1" },
  }
  if vim.lsp.start then
    return vim.lsp.start(config, { bufnr = bufnr })
  end
  local id = vim.lsp.start_client(config)
  vim.lsp.buf_attach_client(bufnr, id)
  return id
end

local function diagnostics_with_code(bufnr, code)
  local found = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    local lsp = d.user_data and d.user_data.lsp or {}
    if (lsp.code or d.code) == code then
      table.insert(found, d)
    end
  end
  return found
end

local function lsp_diagnostic(d)
  -- Rebuild the LSP diagnostic; Neovim keeps the server's extra fields (code, data) in
  -- user_data.lsp (0.7 keeps only those, newer versions the whole diagnostic).
  local lsp = (d.user_data and d.user_data.lsp) or {}
  return {
    range = lsp.range or { start = { line = d.lnum, character = d.col }, ["end"] = { line = d.end_lnum, character = d.end_col } },
    message = d.message, code = lsp.code or d.code, source = d.source, severity = d.severity, data = lsp.data,
  }
end

-- 1. A TypeScript file: the RLS bypasses of the case study.
vim.cmd("edit " .. root .. "/scripts/verify-all-migrations.ts")
local bufnr = vim.api.nvim_get_current_buf()
local client_id = start(bufnr)
check(client_id, "the language server did not start")

local rule = "rls/prisma-outside-context"
check(vim.wait(timeout, function() return #diagnostics_with_code(bufnr, rule) >= 3 end, 50),
  "no rls/prisma-outside-context diagnostics within " .. timeout .. " ms")

-- Every finding of `baton check` on the same workspace (BATON_EXPECTED: one `path:line:rule` a
-- line, written by tests/nvim.rs), and nothing else, arrives in Neovim: the open file's and
-- those of files never opened (migrations, specs, signals), published after the scan.
local expected_file = assert(os.getenv("BATON_EXPECTED"), "BATON_EXPECTED is not set")
-- Counted, not a set: two findings of one rule on one line must both arrive.
local expected = {}
for entry in io.lines(expected_file) do
  if entry ~= "" then expected[entry] = (expected[entry] or 0) + 1 end
end
check(vim.tbl_count(expected) > 5, "BATON_EXPECTED lists too few findings")
local function published()
  local seen = {}
  for _, d in ipairs(vim.diagnostic.get()) do
    local name = vim.api.nvim_buf_get_name(d.bufnr)
    local path = name:sub(1, #root + 1) == root .. "/" and name:sub(#root + 2) or name
    local lsp = d.user_data and d.user_data.lsp or {}
    local key = path .. ":" .. d.lnum .. ":" .. tostring(lsp.code or d.code)
    seen[key] = (seen[key] or 0) + 1
  end
  return seen
end
-- The entries of `a` that `b` has fewer of, with the count missing.
local function difference(a, b)
  local out = {}
  for k, n in pairs(a) do
    if (b[k] or 0) < n then table.insert(out, k .. " ×" .. (n - (b[k] or 0))) end
  end
  table.sort(out)
  return out
end
local all_arrived = vim.wait(timeout, function()
  local seen = published()
  return #difference(expected, seen) == 0 and #difference(seen, expected) == 0
end, 100)
check(all_arrived, "Neovim's diagnostics differ from baton check's: missing {"
  .. table.concat(difference(expected, published()), ", ") .. "}, unexpected {"
  .. table.concat(difference(published(), expected), ", ") .. "}")

local target
for _, d in ipairs(diagnostics_with_code(bufnr, rule)) do
  if d.lnum == 44 then target = d end
end
check(target, "no finding on line 45")

-- 2. Code action → apply the edit → the diagnostic clears.
local lsp_diag = lsp_diagnostic(target)
local params = {
  textDocument = { uri = vim.uri_from_bufnr(bufnr) },
  range = lsp_diag.range,
  context = { diagnostics = { lsp_diag } },
}
local responses = vim.lsp.buf_request_sync(bufnr, "textDocument/codeAction", params, timeout)
check(responses, "no code action response")
local fix
for _, response in pairs(responses) do
  for _, action in ipairs(response.result or {}) do
    if action.title == "Wrap in withSystemContext()" then fix = action end
  end
end
check(fix, "no 'Wrap in withSystemContext()' action")
vim.lsp.util.apply_workspace_edit(fix.edit, "utf-16")
local text = table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), "\n")
check(text:find("withSystemContext(async (tx) => tx.migrationRun.findFirst({", 1, true), "the fix was not applied")
check(text:find('import { withSystemContext', 1, true) or text:find('withSystemContext }', 1, true),
  "the wrapper import is missing")
check(vim.wait(timeout, function()
  for _, d in ipairs(diagnostics_with_code(bufnr, rule)) do
    if d.lnum == 44 then return false end
  end
  return #diagnostics_with_code(bufnr, rule) == 2
end, 50), "the fixed finding did not clear")

-- 3. Hover on a remaining finding shows the rule's documentation.
local remaining = diagnostics_with_code(bufnr, rule)[1]
local hover = vim.lsp.buf_request_sync(bufnr, "textDocument/hover", {
  textDocument = { uri = vim.uri_from_bufnr(bufnr) },
  position = { line = remaining.lnum, character = remaining.col + 1 },
}, timeout)
local hover_text = ""
for _, response in pairs(hover or {}) do
  if response.result and response.result.contents then
    hover_text = hover_text .. (response.result.contents.value or "")
  end
end
-- The finding, the rule's summary and a link to its page (not the whole page).
check(hover_text:find("rls/prisma-outside-context", 1, true) and hover_text:find("[Rule documentation](", 1, true)
  and not hover_text:find("Why is this bad?", 1, true),
  "hover did not show the finding with a link to the rule: " .. hover_text)

-- 4. A migration: the table left without RLS, then fixed by its quick fix.
vim.cmd("edit " .. root .. "/supabase/migrations/20240201000000_validation_reports.sql")
local sql = vim.api.nvim_get_current_buf()
if not vim.lsp.start then vim.lsp.buf_attach_client(sql, client_id) end
check(vim.wait(timeout, function() return #diagnostics_with_code(sql, "sql/rls-disabled-in-public") == 1 end, 50),
  "no sql/rls-disabled-in-public diagnostic on the migration")

-- 5. An injected panic: the request fails, the server keeps answering.
local panicked = vim.lsp.buf_request_sync(bufnr, "workspace/executeCommand", { command = "baton.debug.panic", arguments = {} }, timeout)
local failed = false
for _, response in pairs(panicked or {}) do
  if response.err or response.error then failed = true end
end
check(failed, "the panicking command did not return an error")
local after = vim.lsp.buf_request_sync(bufnr, "textDocument/hover", {
  textDocument = { uri = vim.uri_from_bufnr(bufnr) },
  position = { line = remaining.lnum, character = remaining.col + 1 },
}, timeout)
local answered = false
for _, response in pairs(after or {}) do
  if response.result and response.result.contents then answered = true end
end
check(answered, "the server stopped answering after a panic")

-- >>> handoff features (issue 7): code lens on a file a handoff names, inlay hints in a signal.
local function results(bufnr_, method, params)
  local out = {}
  for _, response in pairs(vim.lsp.buf_request_sync(bufnr_, method, params, timeout) or {}) do
    for _, item in ipairs(response.result or {}) do table.insert(out, item) end
  end
  return out
end
local lens_title = ""
check(vim.wait(timeout, function()
  for _, lens in ipairs(results(bufnr, "textDocument/codeLens", { textDocument = { uri = vim.uri_from_bufnr(bufnr) } })) do
    lens_title = lens.command and lens.command.title or ""
    if lens_title:find("WS-1 · data-engineer agent · complete", 1, true) then return true end
  end
  return false
end, 100), "no handoff code lens on scripts/verify-all-migrations.ts: " .. lens_title)
vim.cmd("edit " .. root .. "/.claude/handoff/ws2-cicd-complete.signal")
local signal = vim.api.nvim_get_current_buf()
if vim.lsp.start then start(signal) else vim.lsp.buf_attach_client(signal, client_id) end
local whole = { start = { line = 0, character = 0 }, ["end"] = { line = vim.api.nvim_buf_line_count(signal), character = 0 } }
local hint_at
check(vim.wait(timeout, function()
  for _, hint in ipairs(results(signal, "textDocument/inlayHint", { textDocument = { uri = vim.uri_from_bufnr(signal) }, range = whole })) do
    local label = type(hint.label) == "string" and hint.label or ""
    if label == "missing" then hint_at = hint.position return true end
  end
  return false
end, 100), "no 'missing' inlay hint in the WS-2 signal")
local line = vim.api.nvim_buf_get_lines(signal, hint_at.line, hint_at.line + 1, false)[1]
check(line:find("scripts/rollback-migration.ts", 1, true), "the 'missing' hint is not on the missing file's line: " .. line)
-- <<< handoff features
-- >>> plan: code lenses on a workflow document (issue #6) >>>
vim.cmd("edit " .. root .. "/docs/workflows/WORKFLOW-WOR-321-remediation.md")
local workflow = vim.api.nvim_get_current_buf()
if not vim.lsp.start then vim.lsp.buf_attach_client(workflow, client_id) else start(workflow) end
local lens_titles = {}
check(vim.wait(timeout, function()
  local lens_responses = vim.lsp.buf_request_sync(workflow, "textDocument/codeLens",
    { textDocument = { uri = vim.uri_from_bufnr(workflow) } }, timeout)
  lens_titles = {}
  for _, response in pairs(lens_responses or {}) do
    for _, lens in ipairs(response.result or {}) do
      lens_titles[lens.range.start.line] = lens.command and lens.command.title
    end
  end
  return vim.tbl_count(lens_titles) == 3
end, 100), "no code lenses on the workflow document")
local heading_line = {}
for i, line in ipairs(vim.api.nvim_buf_get_lines(workflow, 0, -1, false)) do
  local id = line:match("^## (WS%-%d+):")
  if id then heading_line[id] = i - 1 end
end
check(lens_titles[heading_line["WS-3"]] == "✗ no completion signal", "WS-3 lens: " .. tostring(lens_titles[heading_line["WS-3"]]))
check(lens_titles[heading_line["WS-4"]] == "blocked by WS-3", "WS-4 lens: " .. tostring(lens_titles[heading_line["WS-4"]]))
check(lens_titles[heading_line["WS-5"]] == "blocked by WS-4", "WS-5 lens: " .. tostring(lens_titles[heading_line["WS-5"]]))
-- <<< plan: code lenses <<<

io.stdout:write("nvim e2e: ok (" .. tostring(vim.version and vim.version().minor or "?") .. ")\n")
vim.cmd("qall!")
