-- The :Baton* user commands. Each collects its arguments (from the command line, else with
-- vim.ui.select / vim.ui.input) and sends the server's workspace command with one argument
-- table: { uri, item?, stage?, gate?, role?, by?, note? } (docs/editor-protocol.md).
local M = {}

--- The approval roles offered first; any other role can be typed.
M.roles = { "architecture", "qa", "product", "security" }

local OTHER = "other…"

local function baton()
  return require("baton")
end

local function buffer_uri()
  local name = vim.api.nvim_buf_get_name(0)
  if name ~= "" then
    return vim.uri_from_bufnr(0)
  end
  return vim.uri_from_fname(vim.fn.getcwd())
end

local function root_dir()
  local client = baton().client(0)
  return (client and client.config and client.config.root_dir) or vim.fn.getcwd()
end

--- Stages (`[workflow] stages`) and gates (`[gates.NAME]`) named in `text`, read leniently.
function M.workflow_names(text)
  local stages, gates, tbl = {}, {}, ""
  for raw in (text .. "\n"):gmatch("([^\n]*)\n") do
    local line = vim.trim((raw:gsub("#.*$", "")))
    local header = line:match("^%[%s*([^%]]-)%s*%]$")
    if header then
      tbl = header
      local gate = header:match('^gates%."([^"]+)"$') or header:match("^gates%.([%w_-]+)$")
      if gate then
        table.insert(gates, gate)
      end
    elseif tbl == "workflow" then
      local list = line:match("^stages%s*=%s*%[(.*)%]")
      if list then
        for s in list:gmatch("[\"']([^\"']*)[\"']") do
          table.insert(stages, s)
        end
      end
    end
  end
  return { stages = stages, gates = gates }
end

local function read_workflow()
  local path = root_dir() .. "/baton.toml"
  local ok, lines = pcall(vim.fn.readfile, path)
  if not ok or type(lines) ~= "table" then
    return { stages = {}, gates = {} }
  end
  return M.workflow_names(table.concat(lines, "\n"))
end

local function git_user_name()
  local ok, out = pcall(vim.fn.systemlist, { "git", "-C", root_dir(), "config", "user.name" })
  if ok and vim.v.shell_error == 0 and out[1] and out[1] ~= "" then
    return out[1]
  end
  return nil
end

-- Picks one of `items` or, with "other…" or no items, asks for free text.
local function pick_or_type(items, prompt, on_choice)
  local function ask()
    vim.ui.input({ prompt = prompt .. ": " }, function(value)
      if value and vim.trim(value) ~= "" then
        on_choice(vim.trim(value))
      end
    end)
  end
  if #items == 0 then
    return ask()
  end
  local choices = vim.list_extend(vim.deepcopy(items), { OTHER })
  vim.ui.select(choices, { prompt = prompt }, function(choice)
    if choice == OTHER then
      ask()
    elseif choice then
      on_choice(choice)
    end
  end)
end

--- :BatonAdvance [STAGE]: move the buffer's work item to STAGE (default: the next stage).
function M.advance(stage)
  local args = { uri = buffer_uri() }
  if stage and stage ~= "" then
    args.stage = stage
  end
  baton().execute("baton.advanceStage", args)
end

--- :BatonGate [GATE]: run a gate configured in baton.toml.
function M.gate(gate)
  local function run(name)
    baton().execute("baton.runGate", { uri = buffer_uri(), gate = name })
  end
  if gate and gate ~= "" then
    return run(gate)
  end
  pick_or_type(read_workflow().gates, "Gate to run", run)
end

--- :BatonApprove [ROLE [NAME...]]: record an approval; asks for what is missing (and a note).
function M.approve(role, by, note)
  local function with_note(r, name)
    local function send(n)
      local args = { uri = buffer_uri(), role = r, by = name }
      if n and vim.trim(n) ~= "" then
        args.note = vim.trim(n)
      end
      baton().execute("baton.recordApproval", args)
    end
    if note ~= nil then
      return send(note)
    end
    vim.ui.input({ prompt = "Note (optional): " }, function(n)
      if n ~= nil then
        send(n)
      end
    end)
  end
  local function with_role(r)
    if by and by ~= "" then
      return with_note(r, by)
    end
    vim.ui.input({ prompt = "Approved by: ", default = git_user_name() or "" }, function(name)
      if name and vim.trim(name) ~= "" then
        with_note(r, vim.trim(name))
      end
    end)
  end
  if role and role ~= "" then
    return with_role(role)
  end
  pick_or_type(M.roles, "Role that approves", with_role)
end

--- :BatonDispatch [AGENT]: dispatch an agent of .claude/agents/ for the buffer's work item.
function M.dispatch(agent)
  local function run(name)
    baton().execute("baton.dispatchAgent", { uri = buffer_uri(), role = name })
  end
  if agent and agent ~= "" then
    return run(agent)
  end
  local agents = {}
  for _, path in ipairs(vim.fn.glob(root_dir() .. "/.claude/agents/*.md", false, true)) do
    table.insert(agents, vim.fn.fnamemodify(path, ":t:r"))
  end
  table.sort(agents)
  pick_or_type(agents, "Agent to dispatch", run)
end

--- Shows a command's JSON result (the evidence) in a read-only scratch buffer.
function M.show_json(result)
  if result == nil or result == vim.NIL then
    return
  end
  local text = vim.json and vim.json.encode(result) or vim.fn.json_encode(result)
  local buf = vim.api.nvim_create_buf(false, true)
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, vim.split(text, "\n"))
  vim.bo[buf].filetype = "json"
  vim.bo[buf].modifiable = false
  vim.cmd("sbuffer " .. buf)
end

--- :BatonEvidence: the evidence recorded for the buffer's work item, in a scratch buffer.
function M.evidence()
  baton().execute("baton.showEvidence", { uri = buffer_uri() }, function(err, result)
    if not err then
      M.show_json(result)
    end
  end)
end

--- Creates the user commands.
function M.create()
  local create = vim.api.nvim_create_user_command
  create("BatonAdvance", function(o)
    M.advance(o.args)
  end, { nargs = "?", desc = "Baton: advance the work item's stage" })
  create("BatonGate", function(o)
    M.gate(o.args)
  end, {
    nargs = "?",
    desc = "Baton: run a gate",
    complete = function()
      return read_workflow().gates
    end,
  })
  create("BatonApprove", function(o)
    local role = o.fargs[1]
    local by = #o.fargs > 1 and table.concat(vim.list_slice(o.fargs, 2), " ") or nil
    M.approve(role, by)
  end, {
    nargs = "*",
    desc = "Baton: record an approval (ROLE NAME)",
    complete = function(_, line)
      return #vim.split(line, "%s+") <= 2 and M.roles or {}
    end,
  })
  create("BatonDispatch", function(o)
    M.dispatch(o.args)
  end, { nargs = "?", desc = "Baton: dispatch an agent" })
  create("BatonEvidence", function()
    M.evidence()
  end, { nargs = 0, desc = "Baton: show the work item's evidence" })
end

return M
