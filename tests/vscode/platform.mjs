// The platform .vsix (issue #27, item 8): `baton-linux-x64.vsix` carries the server. Installed in
// code-server on a machine where no `baton` is on PATH and `baton.path` is not set, it must start
// its own binary and show Baton's findings.
//
//   CODE_SERVER=…/node_modules/code-server BATON_VSIX=…/baton-linux-x64.vsix node tests/vscode/platform.mjs
//
// Run by scripts/editor-tests.sh; screenshots go to target/test-artifacts/vscode-platform/.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { RULE, Session, need, repo } from "./code-server.mjs";

const vsix = need("BATON_VSIX");
const artifacts = path.join(process.env.BATON_ARTIFACTS ?? path.join(repo, "target/test-artifacts/vscode"), "../vscode-platform");

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
// No baton.path: the bundled binary must be found.
const session = new Session({ name: "platform", artifacts, env: { PATH: cleanPath } });
const { log, extensions } = session;
const shot = (name) => session.shot(name);

// Nothing named baton on the PATH the editor runs with.
for (const dir of cleanPath.split(path.delimiter)) {
  if (isExecutable(path.join(dir, "baton"))) throw new Error(`baton is on PATH in ${dir}`);
}
session.install(vsix);
const installed = fs.readdirSync(extensions).find((name) => name.startsWith("baton.baton-"));
if (!installed || !fs.existsSync(path.join(extensions, installed, "bin/baton"))) {
  throw new Error(`the installed extension carries no bin/baton: ${installed}`);
}
log(`extension installed (${installed})`);

await session.run(["--disable-workspace-trust"], async (page) => {
  // Open a file: the extension starts its own server, whose findings appear.
  await session.openFile("verify-all-migrations.ts");
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
});
