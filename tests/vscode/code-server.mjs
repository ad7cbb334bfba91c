// What the code-server tests (ui.mjs, untrusted.mjs, platform.mjs) share: a profile in a temporary
// folder with a copy of examples/wor-321, the extension installed into it, code-server on a free
// port, Chromium on the workbench through playwright-core, screenshots, and the clean-up.
import { spawn, execFileSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

/** The repository root. */
export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** How long one UI step may take. */
export const STEP = 30000;
/** The rule whose findings the tests look for in examples/wor-321. */
export const RULE = "rls/prisma-outside-context";

/** The value of a required environment variable. */
export function need(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (scripts/editor-tests.sh sets it)`);
  return value;
}

/** User settings that keep the workbench quiet and other language features out of the way. */
const QUIET = {
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "workbench.enableExperiments": false,
  "telemetry.telemetryLevel": "off",
  "update.mode": "none",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "extensions.ignoreRecommendations": true,
  "git.enabled": false,
  "typescript.validate.enable": false,
  "javascript.validate.enable": false,
  "chat.disableAIFeatures": true,
};

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

/** One code-server profile: `name` labels the log lines and the temporary folder. */
export class Session {
  constructor({ name, artifacts, settings = {}, env = {} }) {
    this.name = name;
    this.artifacts = artifacts;
    fs.rmSync(artifacts, { recursive: true, force: true });
    fs.mkdirSync(artifacts, { recursive: true });
    this.tmp = fs.mkdtempSync(path.join(os.tmpdir(), `baton-vscode-${name}-`));
    this.ws = path.join(this.tmp, "wor-321");
    fs.cpSync(path.join(repo, "examples/wor-321"), this.ws, { recursive: true });
    const userData = path.join(this.tmp, "user-data");
    this.extensions = path.join(this.tmp, "extensions");
    fs.mkdirSync(path.join(userData, "User"), { recursive: true });
    fs.writeFileSync(path.join(userData, "User/settings.json"), JSON.stringify({ ...QUIET, ...settings }, null, 2));
    this.env = { ...process.env, XDG_CONFIG_HOME: path.join(this.tmp, "xdg"), XDG_DATA_HOME: path.join(this.tmp, "xdg-data"), ...env };
    this.entry = path.join(need("CODE_SERVER"), "out/node/entry.js");
    this.common = ["--user-data-dir", userData, "--extensions-dir", this.extensions, "--disable-telemetry", "--disable-update-check"];
    const t0 = Date.now();
    this.log = (msg) => console.log(`[${name} ${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);
  }

  /** Installs a `.vsix` into the profile. */
  install(vsix) {
    execFileSync(process.execPath, [this.entry, ...this.common, "--install-extension", vsix], {
      env: this.env,
      stdio: ["ignore", "pipe", "inherit"],
    });
  }

  /** A screenshot into the artifacts folder (never fails the test). */
  async shot(name) {
    if (this.page) await this.page.screenshot({ path: path.join(this.artifacts, `${name}.png`) }).catch(() => {});
  }

  /** Opens `name` through Quick Open and waits for its tab; returns Quick Open's input. */
  async openFile(name) {
    const page = this.page;
    await page.locator(".monaco-workbench").click({ position: { x: 700, y: 400 } }).catch(() => {});
    await page.keyboard.press("Control+P");
    const quickOpen = page.locator(".quick-input-widget input");
    await quickOpen.waitFor({ state: "visible" });
    await quickOpen.fill(name);
    await page.locator(".quick-input-list .monaco-list-row", { hasText: name }).first().waitFor();
    await page.keyboard.press("Enter");
    await page.locator(".tab.active", { hasText: name }).waitFor();
    return quickOpen;
  }

  /**
   * Starts code-server with `flags` on the workspace copy, opens the workbench in Chromium and
   * runs `body(page)`; on failure takes a screenshot and prints the error. Cleans up and exits the
   * process with the outcome.
   */
  async run(flags, body) {
    let failed = false;
    let server;
    let browser;
    try {
      const port = await freePort();
      const serverLog = fs.openSync(path.join(this.artifacts, "code-server.log"), "w");
      let exited;
      server = spawn(
        process.execPath,
        [this.entry, ...this.common, "--auth", "none", "--bind-addr", `127.0.0.1:${port}`, ...flags, "--disable-getting-started-override", this.ws],
        { env: this.env, stdio: ["ignore", serverLog, serverLog], detached: true },
      );
      server.on("exit", (code, signal) => (exited = code ?? signal));
      const end = Date.now() + 30000;
      for (;;) {
        if (exited !== undefined) throw new Error(`code-server exited (${exited}) before answering`);
        const r = await fetch(`http://127.0.0.1:${port}/healthz`, { redirect: "manual" }).catch(() => undefined);
        if (r && r.status < 500) break;
        if (Date.now() > end) throw new Error(`code-server did not answer on port ${port}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      this.log(`code-server on ${port}`);
      browser = await chromium.launch({
        executablePath: process.env.BATON_CHROMIUM ?? "/usr/bin/chromium",
        args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
      });
      this.page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      this.page.setDefaultTimeout(STEP);
      await this.page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(this.ws)}`);
      await this.page.locator(".monaco-workbench").waitFor();
      this.log("workbench loaded");
      await body(this.page);
    } catch (err) {
      failed = true;
      await this.shot("failure");
      console.error(err);
      console.error(`code-server log: ${path.join(this.artifacts, "code-server.log")}`);
    } finally {
      await browser?.close().catch(() => {});
      try {
        process.kill(-server.pid, "SIGTERM");
      } catch {}
      fs.rmSync(this.tmp, { recursive: true, force: true, maxRetries: 3 });
    }
    process.exit(failed ? 1 : 0);
  }
}
