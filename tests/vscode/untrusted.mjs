// VS Code in Restricted Mode (issue #26, item 2): a folder the user does not trust names its own
// program as the server — `.vscode/settings.json` `"baton.path": "tools/baton"` with an
// executable `tools/baton` that would leave a marker file. The extension must not start it: the
// user's `baton.path` (the real server) runs, its findings appear, and no marker is left.
//
//   CODE_SERVER=…/node_modules/code-server BATON_VSIX=…/baton.vsix BATON_BIN=…/baton node tests/vscode/untrusted.mjs
//
// Run by scripts/editor-tests.sh after ui.mjs; screenshots go to target/test-artifacts/vscode-untrusted/.
import { spawn, execFileSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "../..");
const need = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (scripts/editor-tests.sh sets it)`);
  return value;
};
const codeServer = need("CODE_SERVER");
const vsix = need("BATON_VSIX");
const baton = need("BATON_BIN");
const artifacts = path.join(process.env.BATON_ARTIFACTS ?? path.join(repo, "target/test-artifacts/vscode"), "../vscode-untrusted");
const STEP = 30000;
const RULE = "rls/prisma-outside-context";

fs.rmSync(artifacts, { recursive: true, force: true });
fs.mkdirSync(artifacts, { recursive: true });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "baton-vscode-untrusted-"));
const ws = path.join(tmp, "wor-321");
fs.cpSync(path.join(repo, "examples/wor-321"), ws, { recursive: true });
// The folder's own "server": it would leave a marker outside the folder, then wait.
const marker = path.join(tmp, "the-folder-program-ran");
fs.mkdirSync(path.join(ws, "tools"), { recursive: true });
fs.writeFileSync(path.join(ws, "tools/baton"), `#!/bin/sh\ntouch '${marker}'\nexec sleep 3600\n`, { mode: 0o755 });
fs.mkdirSync(path.join(ws, ".vscode"), { recursive: true });
fs.writeFileSync(path.join(ws, ".vscode/settings.json"), JSON.stringify({ "baton.path": "tools/baton" }, null, 2));

const userData = path.join(tmp, "user-data");
const extensions = path.join(tmp, "extensions");
fs.mkdirSync(path.join(userData, "User"), { recursive: true });
fs.writeFileSync(
  path.join(userData, "User/settings.json"),
  JSON.stringify(
    {
      "baton.path": baton,
      // Workspace trust on, and the folder opened without the trust prompt: Restricted Mode.
      "security.workspace.trust.enabled": true,
      "security.workspace.trust.startupPrompt": "never",
      "security.workspace.trust.banner": "always",
      "workbench.startupEditor": "none",
      "workbench.tips.enabled": false,
      "telemetry.telemetryLevel": "off",
      "update.mode": "none",
      "extensions.autoCheckUpdates": false,
      "extensions.autoUpdate": false,
      "extensions.ignoreRecommendations": true,
      "git.enabled": false,
      "typescript.validate.enable": false,
      "javascript.validate.enable": false,
      "chat.disableAIFeatures": true,
    },
    null,
    2,
  ),
);

const env = { ...process.env, XDG_CONFIG_HOME: path.join(tmp, "xdg"), XDG_DATA_HOME: path.join(tmp, "xdg-data") };
const entry = path.join(codeServer, "out/node/entry.js");
const common = ["--user-data-dir", userData, "--extensions-dir", extensions, "--disable-telemetry", "--disable-update-check"];

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

let serverExit;
async function waitHttp(url, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (serverExit !== undefined) throw new Error(`code-server exited (${serverExit}) before answering`);
    try {
      const r = await fetch(url, { redirect: "manual" });
      if (r.status < 500) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`code-server did not answer at ${url}`);
}

const t0 = Date.now();
const log = (msg) => console.log(`[untrusted ${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);

execFileSync(process.execPath, [entry, ...common, "--install-extension", vsix], { env, stdio: ["ignore", "pipe", "inherit"] });
log("extension installed");

const port = await freePort();
const serverLog = fs.openSync(path.join(artifacts, "code-server.log"), "w");
// No --disable-workspace-trust: the folder is untrusted.
const server = spawn(
  process.execPath,
  [entry, ...common, "--auth", "none", "--bind-addr", `127.0.0.1:${port}`, "--disable-getting-started-override", ws],
  { env, stdio: ["ignore", serverLog, serverLog], detached: true },
);
server.on("exit", (code, signal) => (serverExit = code ?? signal));
let browser;
let page;
let failed = false;

async function shot(name) {
  if (page) await page.screenshot({ path: path.join(artifacts, `${name}.png`) }).catch(() => {});
}

try {
  await waitHttp(`http://127.0.0.1:${port}/healthz`, 30000);
  log(`code-server on ${port}`);
  browser = await chromium.launch({
    executablePath: process.env.BATON_CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(STEP);
  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(ws)}`);
  await page.locator(".monaco-workbench").waitFor();
  log("workbench loaded");
  // The window really is in Restricted Mode.
  await page.locator(".statusbar-item", { hasText: "Restricted Mode" }).first().waitFor({ timeout: 60000 });
  await shot("01-restricted");
  log("Restricted Mode");

  // Open a file: the extension starts the user's server, whose findings appear.
  await page.locator(".monaco-workbench").click({ position: { x: 700, y: 400 } }).catch(() => {});
  await page.keyboard.press("Control+P");
  const quickOpen = page.locator(".quick-input-widget input");
  await quickOpen.waitFor({ state: "visible" });
  await quickOpen.fill("verify-all-migrations.ts");
  await page.locator(".quick-input-list .monaco-list-row", { hasText: "verify-all-migrations.ts" }).first().waitFor();
  await page.keyboard.press("Enter");
  await page.locator(".tab.active", { hasText: "verify-all-migrations.ts" }).waitFor();
  await page.keyboard.press("Control+Shift+M");
  await page.locator(".markers-panel").waitFor();
  // Until the findings appear (or the folder's program shows it ran).
  const deadline = Date.now() + 90000;
  for (;;) {
    if (fs.existsSync(marker)) throw new Error("the folder's own program (tools/baton) was started in Restricted Mode");
    const panel = await page.locator(".markers-panel").first().textContent().catch(() => "");
    if ((panel ?? "").includes(RULE)) break;
    if (Date.now() > deadline) throw new Error("no Baton findings: the user's server did not start");
    await page.waitForTimeout(250);
  }
  await shot("02-findings");
  log("the user's server runs: findings shown");
  if (fs.existsSync(marker)) throw new Error("the folder's own program (tools/baton) was started in Restricted Mode");
  log("the folder's program was not started");

  // A workflow command says, in words, why nothing runs and offers to manage trust — before
  // asking for anything (issue #27, item 10).
  await page.keyboard.press("F1");
  const palette = page.locator(".quick-input-widget input");
  await palette.waitFor({ state: "visible" });
  await palette.fill(">Baton: Advance Stage");
  await page.locator(".quick-input-list .monaco-list-row", { hasText: "Baton: Advance Stage" }).first().waitFor();
  await page.keyboard.press("Enter");
  const refusal = page.locator(".notification-toast", { hasText: "not trusted" }).first();
  await refusal.waitFor();
  const refusalText = (await refusal.innerText()).replace(/\s+/g, " ");
  if (!refusalText.includes("Manage Workspace Trust")) throw new Error(`no trust button: ${refusalText}`);
  if (/initializationOptions|trusted: true/.test(refusalText)) throw new Error(`protocol words: ${refusalText}`);
  if (await page.locator(".quick-input-widget").isVisible()) {
    const shown = await page.locator(".quick-input-widget").innerText().catch(() => "");
    if (shown.includes("stage")) throw new Error(`asked for a stage before refusing: ${shown}`);
  }
  await shot("03-refusal");
  log("the workflow command explains the missing trust");
  console.log("vscode untrusted: ok");
} catch (err) {
  failed = true;
  await shot("failure");
  console.error(err);
  console.error(`code-server log: ${path.join(artifacts, "code-server.log")}`);
} finally {
  await browser?.close().catch(() => {});
  try {
    process.kill(-server.pid, "SIGTERM");
  } catch {}
  fs.rmSync(tmp, { recursive: true, force: true, maxRetries: 3 });
}
process.exit(failed ? 1 : 0);
