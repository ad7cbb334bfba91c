// The platform .vsix (issue #27, item 8): `baton-linux-x64.vsix` carries the server. Installed in
// code-server on a machine where no `baton` is on PATH and `baton.path` is not set, it must start
// its own binary and show Baton's findings.
//
//   CODE_SERVER=…/node_modules/code-server BATON_VSIX=…/baton-linux-x64.vsix node tests/vscode/platform.mjs
//
// Run by scripts/editor-tests.sh; screenshots go to target/test-artifacts/vscode-platform/.
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
const artifacts = path.join(process.env.BATON_ARTIFACTS ?? path.join(repo, "target/test-artifacts/vscode"), "../vscode-platform");
const STEP = 30000;
const RULE = "rls/prisma-outside-context";

// A PATH with no `baton` on it: every folder that has one is left out.
const isExecutable = (file) => {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
};
const cleanPath = (process.env.PATH ?? "")
  .split(path.delimiter)
  .filter((dir) => dir && path.isAbsolute(dir) && !isExecutable(path.join(dir, "baton")))
  .join(path.delimiter);
fs.rmSync(artifacts, { recursive: true, force: true });
fs.mkdirSync(artifacts, { recursive: true });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "baton-vscode-platform-"));
const ws = path.join(tmp, "wor-321");
fs.cpSync(path.join(repo, "examples/wor-321"), ws, { recursive: true });
const userData = path.join(tmp, "user-data");
const extensions = path.join(tmp, "extensions");
fs.mkdirSync(path.join(userData, "User"), { recursive: true });
fs.writeFileSync(
  path.join(userData, "User/settings.json"),
  JSON.stringify(
    {
      // No baton.path: the bundled binary must be found.
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

const env = { ...process.env, PATH: cleanPath, XDG_CONFIG_HOME: path.join(tmp, "xdg"), XDG_DATA_HOME: path.join(tmp, "xdg-data") };
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
const log = (msg) => console.log(`[platform ${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);

// Nothing named baton on the PATH the editor runs with.
for (const dir of cleanPath.split(path.delimiter)) {
  if (isExecutable(path.join(dir, "baton"))) throw new Error(`baton is on PATH in ${dir}`);
}
execFileSync(process.execPath, [entry, ...common, "--install-extension", vsix], { env, stdio: ["ignore", "pipe", "inherit"] });
const installed = fs.readdirSync(extensions).find((name) => name.startsWith("baton.baton-"));
if (!installed || !fs.existsSync(path.join(extensions, installed, "bin/baton"))) {
  throw new Error(`the installed extension carries no bin/baton: ${installed}`);
}
log(`extension installed (${installed})`);

const port = await freePort();
const serverLog = fs.openSync(path.join(artifacts, "code-server.log"), "w");
const server = spawn(
  process.execPath,
  [entry, ...common, "--auth", "none", "--bind-addr", `127.0.0.1:${port}`, "--disable-workspace-trust", "--disable-getting-started-override", ws],
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
  // Open a file: the extension starts its own server, whose findings appear.
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
  const deadline = Date.now() + 90000;
  for (;;) {
    const panel = await page.locator(".markers-panel").first().textContent().catch(() => "");
    if ((panel ?? "").includes(RULE)) break;
    if (Date.now() > deadline) throw new Error("no Baton findings: the bundled server did not start");
    await page.waitForTimeout(250);
  }
  await shot("02-findings");
  // The server that answered is the extension's own binary.
  const bundled = path.join(extensions, installed, "bin/baton");
  const processes = execFileSync("ps", ["-eo", "args"], { encoding: "utf8" });
  if (!processes.split("\n").some((line) => line.startsWith(`${bundled} lsp`))) {
    throw new Error(`no process runs ${bundled} lsp:\n${processes}`);
  }
  log("the bundled server runs: findings shown");
  console.log("vscode platform: ok");
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
