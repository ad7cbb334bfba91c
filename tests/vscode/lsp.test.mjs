// The fast tier of the editor tests: `baton lsp` driven through vscode-languageserver-protocol,
// the stack under VS Code's client. Initialize → diagnostics → code action → edit applied →
// diagnostic gone; then the workflow command and the status request, whose answer shape is the
// clients' contract (docs/editor-protocol.md).
//
//   BATON_BIN=target/debug/baton node --test tests/vscode/lsp.test.mjs
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as rpc from "vscode-jsonrpc/node.js";
import * as lsp from "vscode-languageserver-protocol/node.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "../..");
const baton = process.env.BATON_BIN ?? path.join(repo, "target/debug/baton");
const TIMEOUT = 20000;
const RULE = "rls/prisma-outside-context";

let dir, root, server, conn, stderr = "";
const diagnostics = new Map(); // uri → latest published diagnostics
const waiters = [];
const progress = [];

function waitFor(predicate, what) {
  return new Promise((resolve, reject) => {
    const check = () => {
      const value = predicate();
      if (value) {
        clearTimeout(timer);
        resolve(value);
        return true;
      }
      return false;
    };
    const timer = setTimeout(() => {
      const i = waiters.indexOf(check);
      if (i >= 0) waiters.splice(i, 1);
      reject(new Error(`timed out waiting for ${what}; server stderr:\n${stderr}`));
    }, TIMEOUT);
    if (!check()) waiters.push(check);
  });
}

function notifyWaiters() {
  for (const w of [...waiters]) if (w()) waiters.splice(waiters.indexOf(w), 1);
}

/** Applies LSP text edits (UTF-16 positions, which JS strings use natively) to `text`. */
export function applyEdits(text, edits) {
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === "\n") lineStarts.push(i + 1);
  const offset = (p) => Math.min((lineStarts[p.line] ?? text.length) + p.character, text.length);
  const sorted = edits
    .map((e) => ({ start: offset(e.range.start), end: offset(e.range.end), newText: e.newText }))
    .sort((a, b) => b.start - a.start || b.end - a.end);
  for (const e of sorted) text = text.slice(0, e.start) + e.newText + text.slice(e.end);
  return text;
}

function editsFor(edit, uri) {
  if (edit.changes?.[uri]) return edit.changes[uri];
  const out = [];
  for (const change of edit.documentChanges ?? []) {
    if (change.textDocument?.uri === uri) out.push(...change.edits);
  }
  return out;
}

const ruleDiagnostics = (uri) => (diagnostics.get(uri) ?? []).filter((d) => d.code === RULE);

before(async () => {
  assert.ok(fs.existsSync(baton), `no server binary at ${baton} (cargo build, or set BATON_BIN)`);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "baton-lsp-"));
  root = path.join(dir, "wor-321");
  fs.cpSync(path.join(repo, "examples/wor-321"), root, { recursive: true });
  server = spawn(baton, ["lsp"], { cwd: root, stdio: ["pipe", "pipe", "pipe"] });
  server.stderr.on("data", (d) => (stderr += d));
  conn = lsp.createProtocolConnection(new rpc.StreamMessageReader(server.stdout), new rpc.StreamMessageWriter(server.stdin));
  conn.onNotification(lsp.PublishDiagnosticsNotification.type, (p) => {
    diagnostics.set(p.uri, p.diagnostics);
    notifyWaiters();
  });
  conn.onNotification("$/progress", (p) => progress.push(p));
  conn.onRequest(lsp.WorkDoneProgressCreateRequest.type, () => null);
  conn.onRequest(lsp.RegistrationRequest.type, () => null);
  conn.onRequest(lsp.ConfigurationRequest.type, (p) => p.items.map(() => null));
  conn.onRequest(lsp.ShowMessageRequest.type, () => null);
  conn.listen();
  const rootUri = pathToFileURL(root).href;
  const init = await conn.sendRequest(lsp.InitializeRequest.type, {
    processId: process.pid,
    rootUri,
    workspaceFolders: [{ uri: rootUri, name: "wor-321" }],
    initializationOptions: { trusted: false },
    capabilities: {
      window: { workDoneProgress: true },
      workspace: { workspaceFolders: true, didChangeWatchedFiles: { dynamicRegistration: true } },
      textDocument: {
        synchronization: { didSave: true },
        publishDiagnostics: { relatedInformation: true, codeDescriptionSupport: true, dataSupport: true },
        codeAction: {
          codeActionLiteralSupport: { codeActionKind: { valueSet: ["quickfix", "source", "source.fixAll"] } },
          dataSupport: true,
        },
        hover: { contentFormat: ["markdown", "plaintext"] },
      },
    },
  });
  assert.ok(init.capabilities.codeActionProvider, "the server offers no code actions");
  assert.ok(init.capabilities.hoverProvider, "the server offers no hover");
  conn.sendNotification(lsp.InitializedNotification.type, {});
});

after(async () => {
  if (conn) {
    await Promise.race([conn.sendRequest(lsp.ShutdownRequest.type), new Promise((r) => setTimeout(r, 5000).unref())]).catch(() => {});
    conn.sendNotification(lsp.ExitNotification.type);
  }
  if (server) {
    const exited = await Promise.race([
      new Promise((r) => server.once("exit", () => r(true))),
      new Promise((r) => setTimeout(() => r(false), 5000).unref()),
    ]);
    if (!exited) server.kill("SIGKILL");
  }
  conn?.dispose();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test("diagnostics, a quick fix applied, the finding gone, hover", async () => {
  const file = path.join(root, "scripts/verify-all-migrations.ts");
  const uri = pathToFileURL(file).href;
  let text = fs.readFileSync(file, "utf8");
  conn.sendNotification(lsp.DidOpenTextDocumentNotification.type, {
    textDocument: { uri, languageId: "typescript", version: 1, text },
  });
  const found = await waitFor(() => (ruleDiagnostics(uri).length >= 3 ? ruleDiagnostics(uri) : null), `${RULE} diagnostics`);
  const target = found.find((d) => d.range.start.line === 44);
  assert.ok(target, `no ${RULE} finding on line 45: ${JSON.stringify(found.map((d) => d.range.start))}`);
  assert.equal(target.source, "baton");

  const actions = await conn.sendRequest(lsp.CodeActionRequest.type, {
    textDocument: { uri },
    range: target.range,
    context: { diagnostics: [target], only: [lsp.CodeActionKind.QuickFix] },
  });
  const fix = actions.find((a) => a.title === "Wrap in withSystemContext()");
  assert.ok(fix, `no "Wrap in withSystemContext()" action among ${JSON.stringify(actions.map((a) => a.title))}`);
  assert.equal(fix.kind, lsp.CodeActionKind.QuickFix);
  assert.ok(actions.some((a) => /suppress|ignore/i.test(a.title)), "no suppression action offered");

  text = applyEdits(text, editsFor(fix.edit, uri));
  assert.ok(text.includes("withSystemContext(async (tx) => tx.migrationRun.findFirst({"), "the fix did not wrap the call");
  const before = found.length;
  conn.sendNotification(lsp.DidChangeTextDocumentNotification.type, {
    textDocument: { uri, version: 2 },
    contentChanges: [{ text }],
  });
  const remaining = await waitFor(() => {
    const now = ruleDiagnostics(uri);
    return now.length === before - 1 && !now.some((d) => d.range.start.line === 44) ? now : null;
  }, "the fixed finding to clear");

  const hover = await conn.sendRequest(lsp.HoverRequest.type, {
    textDocument: { uri },
    position: { line: remaining[0].range.start.line, character: remaining[0].range.start.character + 1 },
  });
  const value = typeof hover?.contents === "string" ? hover.contents : hover?.contents?.value ?? "";
  assert.match(value, /rls\/prisma-outside-context/);
});

test("a workflow command gets a clean answer (an error today, with code and message)", async () => {
  const file = path.join(root, "docs/specs/WOR-321-spec.md");
  const uri = pathToFileURL(file).href;
  const token = "baton-test-advance";
  let response;
  try {
    response = { result: await conn.sendRequest(lsp.ExecuteCommandRequest.type, {
      command: "baton.advanceStage",
      arguments: [{ uri, stage: "qa" }],
      workDoneToken: token,
    }) };
  } catch (err) {
    response = { error: err };
  }
  if (response.error) {
    const err = response.error;
    assert.ok(err instanceof rpc.ResponseError, `not a JSON-RPC error: ${err}`);
    assert.equal(typeof err.code, "number");
    assert.ok(err.message.length > 0 && err.message.length < 500, `unclean message: ${err.message}`);
    assert.doesNotMatch(err.message, /panicked|backtrace|RUST_BACKTRACE/);
    assert.match(err.message, /baton\.advanceStage|stage|item/, `the message does not say what failed: ${err.message}`);
  } else {
    // Once the server implements it: any JSON answer; a `message` must be text.
    const r = response.result;
    if (r && typeof r === "object" && "message" in r) assert.equal(typeof r.message, "string");
  }
  // Progress on the client's token, if any, must be well-formed and finished.
  const mine = progress.filter((p) => p.token === token).map((p) => p.value.kind);
  if (mine.length) {
    assert.equal(mine[0], "begin");
    assert.equal(mine.at(-1), "end");
  }
  // The server keeps answering.
  const again = await conn.sendRequest(lsp.HoverRequest.type, { textDocument: { uri }, position: { line: 0, character: 0 } });
  assert.ok(again === null || typeof again === "object");
});

test("baton/itemStatus answers MethodNotFound, null or an item status", async () => {
  const uri = pathToFileURL(path.join(root, "docs/specs/WOR-321-spec.md")).href;
  try {
    const status = await conn.sendRequest("baton/itemStatus", { uri });
    if (status !== null) {
      assert.equal(typeof status.item, "string");
      assert.ok(status.stage === null || typeof status.stage === "string");
      assert.ok(Array.isArray(status.unmet) && status.unmet.every((u) => typeof u === "string"));
    }
  } catch (err) {
    assert.ok(err instanceof rpc.ResponseError, `not a JSON-RPC error: ${err}`);
    assert.equal(err.code, rpc.ErrorCodes.MethodNotFound, `unexpected error: ${err.code} ${err.message}`);
  }
});
