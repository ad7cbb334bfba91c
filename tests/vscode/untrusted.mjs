// VS Code in Restricted Mode (issue #26, item 2): a folder the user does not trust names its own
// program as the server — `.vscode/settings.json` `"baton.path": "tools/baton"` with an
// executable `tools/baton` that would leave a marker file. The extension must not start it: the
// user's `baton.path` (the real server) runs, its findings appear, and no marker is left.
//
//   CODE_SERVER=…/node_modules/code-server BATON_VSIX=…/baton.vsix BATON_BIN=…/baton node tests/vscode/untrusted.mjs
//
// Run by scripts/editor-tests.sh after ui.mjs; screenshots go to target/test-artifacts/vscode-untrusted/.
import fs from "node:fs";
import path from "node:path";
import { RULE, STEP, Session, need, repo } from "./code-server.mjs";

const vsix = need("BATON_VSIX");
const baton = need("BATON_BIN");
const artifacts = path.join(process.env.BATON_ARTIFACTS ?? path.join(repo, "target/test-artifacts/vscode"), "../vscode-untrusted");
const session = new Session({
  name: "untrusted",
  artifacts,
  settings: {
    "baton.path": baton,
    // Workspace trust on, and the folder opened without the trust prompt: Restricted Mode.
    "security.workspace.trust.enabled": true,
    "security.workspace.trust.startupPrompt": "never",
    "security.workspace.trust.banner": "always",
  },
});
const { log, tmp, ws } = session;
const shot = (name) => session.shot(name);
// The folder's own "server": it would leave a marker outside the folder, then wait.
const marker = path.join(tmp, "the-folder-program-ran");
fs.mkdirSync(path.join(ws, "tools"), { recursive: true });
fs.writeFileSync(path.join(ws, "tools/baton"), `#!/bin/sh\ntouch '${marker}'\nexec sleep 3600\n`, { mode: 0o755 });
fs.mkdirSync(path.join(ws, ".vscode"), { recursive: true });
fs.writeFileSync(path.join(ws, ".vscode/settings.json"), JSON.stringify({ "baton.path": "tools/baton" }, null, 2));

session.install(vsix);
log("extension installed");

// No --disable-workspace-trust: the folder is untrusted.
await session.run([], async (page) => {
  // The window really is in Restricted Mode.
  await page.locator(".statusbar-item", { hasText: "Restricted Mode" }).first().waitFor({ timeout: 60000 });
  await shot("01-restricted");
  log("Restricted Mode");

  // Open a file: the extension starts the user's server, whose findings appear.
  await session.openFile("verify-all-migrations.ts");
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
});
