// VS Code's real UI with the Baton extension: code-server (VS Code in the browser) driven by
// Debian's Chromium through playwright-core, on a copy of examples/wor-321.
//
//   CODE_SERVER=…/node_modules/code-server BATON_VSIX=…/baton.vsix BATON_BIN=…/baton node tests/vscode/ui.mjs
//
// Asserts that the Problems panel lists Baton's findings, that hovering a squiggle shows the
// rule's documentation, that a quick fix chosen from the code-action menu with the keyboard
// edits the file and clears the finding, and that a palette command reports the server's
// answer. Screenshots go to target/test-artifacts/vscode/ (or BATON_ARTIFACTS).
import path from "node:path";
import { RULE, STEP, Session, need, repo } from "./code-server.mjs";

const vsix = need("BATON_VSIX");
const baton = need("BATON_BIN");
const artifacts = process.env.BATON_ARTIFACTS ?? path.join(repo, "target/test-artifacts/vscode");
const session = new Session({
  name: "ui",
  artifacts,
  settings: {
    "baton.path": baton,
    // code-server would otherwise ask whether to trust the folder; the extension then passes
    // trusted: true (workspace.isTrusted is true when trust is disabled).
    "security.workspace.trust.enabled": false,
    "typescript.tsserver.experimental.enableProjectDiagnostics": false,
    "editor.hover.delay": 100,
    "editor.minimap.enabled": false,
    "window.commandCenter": false,
  },
});
const { log } = session;
const shot = (name) => session.shot(name);

session.install(vsix);
log("extension installed");

let page;
const text = (s) => s.replace(/\u00a0/g, " ");

async function editorText() {
  return text(await page.locator(".editor-instance .view-lines").first().innerText());
}

async function runCommand(label) {
  await page.keyboard.press("F1");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ state: "visible", timeout: STEP });
  await input.fill(`>${label}`);
  await page.locator(".quick-input-list .monaco-list-row", { hasText: label }).first().waitFor({ timeout: STEP });
  await page.keyboard.press("Enter");
}

await session.run(["--disable-workspace-trust"], async (p) => {
  page = p;

  // Open the script with the case study's RLS bypasses.
  const quickOpen = await session.openFile("verify-all-migrations.ts");
  log("file open");

  // Problems panel: Baton's findings.
  await page.keyboard.press("Control+Shift+M");
  const problems = page.locator(".markers-panel");
  await problems.waitFor();
  await page.waitForFunction(
    (rule) => (document.querySelector(".markers-panel")?.textContent ?? "").includes(rule),
    RULE,
    { timeout: 60000 },
  );
  // The file's group in the Problems panel counts its findings; each finding has a row.
  const tabCount = async () => {
    const badge = problems.locator(".monaco-list-row", { hasText: "verify-all-migrations.ts" }).locator(".monaco-count-badge");
    return Number((await badge.first().innerText()).trim()) || 0;
  };
  const line45Row = problems.locator(".monaco-list-row", { hasText: RULE }).filter({ hasText: "[Ln 45," });
  await line45Row.first().waitFor();
  const before = await tabCount();
  if (before < 3) throw new Error(`the Problems panel counts ${before} problems in the file`);
  await shot("01-problems");
  log(`Problems panel lists ${RULE} on line 45; the file has ${before} problems`);

  // Hover: the mouse on the squiggle of line 45 (the text layer intercepts locator hovers).
  await page.keyboard.press("Control+G");
  await quickOpen.waitFor({ state: "visible" });
  await quickOpen.fill(":45:30");
  await page.keyboard.press("Enter");
  await page.waitForTimeout(500);
  const line = page.locator(".view-line", { hasText: "migrationRun.findFirst" }).first();
  const box = await line.boundingBox();
  if (!box) throw new Error("line 45 is not rendered");
  const squiggles = await page.locator(".squiggly-error, .squiggly-warning").evaluateAll((els) =>
    els.map((e) => { const r = e.getBoundingClientRect(); return { x: r.x, y: r.y, w: r.width, h: r.height }; }));
  const squiggle = squiggles.find((r) => Math.abs(r.y + r.h / 2 - (box.y + box.height / 2)) < box.height);
  if (!squiggle) throw new Error(`no squiggle on line 45: ${JSON.stringify(squiggles)}`);
  // The workbench may drop a hover that starts while it is busy (a loaded CI machine): move
  // away and back, up to three times, before giving up.
  const hover = page.locator(".monaco-hover", { hasText: RULE }).first();
  for (let attempt = 1; ; attempt++) {
    await page.mouse.move(squiggle.x + Math.min(20, squiggle.w / 2), squiggle.y + squiggle.h / 2);
    try {
      await hover.waitFor({ state: "visible", timeout: 15000 });
      break;
    } catch (e) {
      if (attempt === 3) throw e;
      log(`hover not shown (attempt ${attempt}); moving away and back`);
      await page.mouse.move(5, 5);
      await page.waitForTimeout(1000);
    }
  }
  await shot("02-hover");
  log("hover shows the rule");
  await page.mouse.move(5, 5);
  await page.keyboard.press("Escape");

  // Quick fix from the code-action menu, chosen with the keyboard.
  await page.locator(".editor-instance .view-lines").first().click({ position: { x: squiggle.x + 5 - (await page.locator(".editor-instance .view-lines").first().boundingBox()).x, y: squiggle.y + squiggle.h / 2 - (await page.locator(".editor-instance .view-lines").first().boundingBox()).y } });
  await page.keyboard.press("Control+.");
  const menu = page.locator(".action-widget");
  await menu.locator(".monaco-list-row", { hasText: "Wrap in withSystemContext()" }).first().waitFor();
  await shot("03-code-actions");
  const titles = await menu.locator(".monaco-list-row").allInnerTexts();
  let moved = 0;
  while (moved < titles.length + 2) {
    const focused = await menu.locator(".monaco-list-row.focused").first().innerText().catch(() => "");
    if (focused.includes("Wrap in withSystemContext()")) break;
    await page.keyboard.press("ArrowDown");
    moved++;
  }
  await page.keyboard.press("Enter");
  await page.waitForFunction(
    () => (document.querySelector(".editor-instance .view-lines")?.textContent ?? "").replace(/\u00a0/g, " ").includes("withSystemContext(async (tx) =>"),
    null,
    { timeout: STEP },
  );
  await line45Row.first().waitFor({ state: "detached" });
  const deadline = Date.now() + STEP;
  while ((await tabCount()) !== before - 1) {
    if (Date.now() > deadline) throw new Error(`the file still has ${await tabCount()} problems (was ${before})`);
    await page.waitForTimeout(200);
  }
  await shot("04-quick-fix-applied");
  log(`quick fix applied: ${before - 1} problems left (${JSON.stringify(titles.map((t) => text(t)))})`);

  // A palette command from a code file: the work item is picked from the workspace's work items
  // (issue #27), then the stage; the server's answer is shown.
  await runCommand("Baton: Advance Stage");
  await page.locator(".quick-input-list .monaco-list-row", { hasText: "WOR-321" }).first().waitFor();
  await page.keyboard.press("Enter");
  await page.locator(".quick-input-list .monaco-list-row", { hasText: "(next stage)" }).first().waitFor();
  await page.keyboard.press("Enter");
  const toast = page.locator(".notification-toast, .notifications-toasts .monaco-list-row", { hasText: "baton.advanceStage" }).first();
  await toast.waitFor();
  const toastText = text(await toast.innerText());
  if (/panicked|backtrace/i.test(toastText)) throw new Error(`unclean error: ${toastText}`);
  // One progress indicator (the server's), closed with the answer.
  await page.locator(".notification-toast", { hasText: "Advancing WOR-321" }).waitFor({ state: "detached" });
  await shot("05-command");
  log(`palette command answered: ${toastText.split("\n")[0]}`);
  console.log("vscode ui: ok");
});
