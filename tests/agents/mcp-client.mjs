// The MCP server driven by the official MCP TypeScript SDK client over stdio (issue #29).
// Usage: node tests/agents/mcp-client.mjs BATON_BINARY REPO_ROOT SCRATCH_DIR
// Exits non-zero with a message on the first failed expectation.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";

const [baton, repo, scratch] = process.argv.slice(2);
assert.ok(baton && repo && scratch, "usage: mcp-client.mjs BATON REPO SCRATCH");

async function connect(root, extraArgs = [], env = {}) {
  const transport = new StdioClientTransport({
    command: baton,
    args: ["mcp", "--root", root, ...extraArgs],
    env: { PATH: process.env.PATH, HOME: process.env.HOME ?? "/tmp", USER: "mcp-test", ...env },
    stderr: "inherit",
  });
  const client = new Client({ name: "baton-mcp-test", version: "1.0.0" });
  await client.connect(transport);
  return client;
}

const expectedTools = [
  "check", "explain_rule", "stage_status", "run_gate", "advance_stage",
  "record_approval", "new_handoff", "handoff_context",
];

// 1. The case study: list tools, check, explain, a resource.
{
  const client = await connect(path.join(repo, "examples/wor-321"));
  const { tools } = await client.listTools();
  const names = tools.map((t) => t.name);
  for (const name of expectedTools) assert.ok(names.includes(name), `tool ${name} is listed (got ${names})`);
  for (const tool of tools) assert.equal(tool.inputSchema.type, "object", `${tool.name} has an object input schema`);

  const check = await client.callTool({ name: "check", arguments: {} }, undefined, { timeout: 300000 });
  assert.ok(!check.isError, `check succeeded: ${JSON.stringify(check.content)}`);
  const report = check.structuredContent;
  assert.equal(report.version, 1);
  const rules = new Set(report.diagnostics.map((d) => d.rule));
  for (const rule of ["rls/prisma-outside-context", "auth/route-missing-auth", "workflow/requirement-unmet"]) {
    assert.ok(rules.has(rule), `check on examples/wor-321 reports ${rule} (got ${[...rules]})`);
  }
  const withFix = report.diagnostics.find((d) => d.rule === "rls/prisma-outside-context" && d.fixes.length > 0);
  assert.ok(withFix, "a Prisma finding carries a fix");
  assert.ok(withFix.range.start.line >= 0 && typeof withFix.path === "string");

  const one = await client.callTool({ name: "check", arguments: { paths: ["supabase"] } });
  assert.ok(one.structuredContent.diagnostics.every((d) => d.path.startsWith("supabase/")), "paths limit the report");
  const outside = await client.callTool({ name: "check", arguments: { paths: ["../../src"] } });
  assert.ok(outside.isError, "a path outside the workspace is refused");

  const explain = await client.callTool({ name: "explain_rule", arguments: { rule: "workflow/retry-limit" } });
  assert.match(explain.structuredContent.documentation, /max_verification_retries/);
  const unknown = await client.callTool({ name: "explain_rule", arguments: { rule: "rls/prisma-outside-contxt" } });
  assert.ok(unknown.isError && /did you mean/.test(unknown.content[0].text), "an unknown rule gets a suggestion");

  const status = await client.callTool({ name: "stage_status", arguments: { item: "WOR-321" } });
  assert.equal(status.structuredContent.items[0].item, "WOR-321");

  const { resources } = await client.listResources();
  assert.ok(resources.some((r) => r.uri === "baton://rules/rls/prisma-outside-context"), "rule docs are resources");
  assert.ok(resources.some((r) => r.uri === "baton://items/WOR-321"), "work items are resources");
  const doc = await client.readResource({ uri: "baton://rules/rls/prisma-outside-context" });
  assert.match(doc.contents[0].text, /## Why is this bad\?/);
  const item = await client.readResource({ uri: "baton://items/WOR-321" });
  assert.equal(JSON.parse(item.contents[0].text).item, "WOR-321");

  // Untrusted (no --trusted in the client's configuration): gates and writes are refused.
  const refused = await client.callTool({ name: "advance_stage", arguments: { item: "WOR-321" } });
  assert.ok(refused.isError, "advance_stage is refused untrusted");
  assert.match(refused.content[0].text, /not trusted/);
  await client.close();
}

// 2. A scratch workspace: advance_stage untrusted (refused, nothing written) and trusted (runs the
// gate, changes the status, writes the signal), with progress notifications.
{
  fs.rmSync(scratch, { recursive: true, force: true });
  fs.mkdirSync(path.join(scratch, "docs/specs"), { recursive: true });
  fs.writeFileSync(path.join(scratch, "baton.toml"), [
    '[workflow]', 'stages = ["plan", "qa"]', '[workflow.requires]', 'qa = ["gate:unit"]',
    '[gates.unit]', 'command = "node -e \\"console.log(\'12 passed\')\\""', '',
  ].join("\n"));
  const spec = path.join(scratch, "docs/specs/pay-1-spec.md");
  fs.writeFileSync(spec, "---\nid: PAY-1\nstatus: plan\n---\n# PAY-1: Payment retries\n\n## Objective\n\nRetry failed payments.\n");
  const signal = path.join(scratch, ".claude/handoff/PAY-1-qa.signal");

  const untrusted = await connect(scratch);
  const no = await untrusted.callTool({ name: "advance_stage", arguments: { item: "PAY-1" } });
  assert.ok(no.isError && /not trusted/.test(no.content[0].text), "refused untrusted");
  // The agent cannot grant itself trust through a tool's arguments.
  const sneaky = await untrusted.callTool({ name: "run_gate", arguments: { gate: "unit", item: "PAY-1", trusted: true } });
  assert.ok(sneaky.isError, "no argument makes a tool trusted");
  await untrusted.close();
  assert.ok(!fs.existsSync(signal), "nothing written untrusted");
  assert.match(fs.readFileSync(spec, "utf8"), /status: plan/);

  const trusted = await connect(scratch, ["--trusted"]);
  const progress = [];
  const yes = await trusted.callTool(
    { name: "advance_stage", arguments: { item: "PAY-1" } },
    undefined,
    { onprogress: (p) => progress.push(p), timeout: 120000 },
  );
  assert.ok(!yes.isError, `advanced: ${JSON.stringify(yes.content)}`);
  assert.equal(yes.structuredContent.to, "qa");
  assert.equal(yes.structuredContent.gates[0].outcome, "pass");
  assert.ok(progress.length >= 1, "progress was reported");
  assert.ok(fs.existsSync(signal), "the completion signal was written");
  assert.equal(JSON.parse(fs.readFileSync(signal, "utf8")).status, "complete");
  assert.match(fs.readFileSync(spec, "utf8"), /status: qa/);

  const handoff = await trusted.callTool({ name: "new_handoff", arguments: { workstream: "WS-1", status: "complete", files: ["docs/specs/pay-1-spec.md"] } });
  assert.ok(!handoff.isError, JSON.stringify(handoff.content));
  const bad = await trusted.callTool({ name: "new_handoff", arguments: { workstream: "WS-1", status: "complete", files: ["/etc/passwd"] } });
  assert.ok(bad.isError, "a file outside the workspace is refused");
  const ctx = await trusted.callTool({ name: "handoff_context", arguments: { path: "docs/specs/pay-1-spec.md" } });
  assert.ok(ctx.structuredContent.handoffs.length >= 1, "handoff_context finds the signal naming the file");
  const esc = await trusted.callTool({ name: "escalate", arguments: { item: "PAY-1", question: "Which retry schedule?" } });
  assert.equal(esc.structuredContent.times_escalated, 1);
  await trusted.close();
}
console.log("mcp-client: all expectations met");
