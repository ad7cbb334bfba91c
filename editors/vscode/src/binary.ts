// Finds the `baton` binary: the `baton.path` setting, else `baton` on PATH, else the binary
// shipped in the extension's `bin/` folder (the platform packages carry one:
// scripts/package-platform.sh). In an untrusted workspace no program of the workspace
// is ever chosen: `baton.path` is machine-scoped and a restricted configuration (package.json),
// only its user value is read, and a workspace-relative value is refused.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const exe = process.platform === "win32" ? "baton.exe" : "baton";

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Expands a leading `~` and makes a relative path absolute against `base`. */
export function expandPath(configured: string, base: string | undefined): string {
  let p = configured.trim();
  if (p === "~" || p.startsWith("~/")) {
    p = path.join(os.homedir(), p.slice(1));
  }
  if (!path.isAbsolute(p) && base && (p.includes("/") || p.includes("\\"))) {
    p = path.join(base, p);
  }
  return p;
}

/** Where `name` is on PATH, or undefined. */
export function onPath(name: string, envPath = process.env.PATH ?? ""): string | undefined {
  for (const dir of envPath.split(path.delimiter)) {
    // A relative entry (`.`, `node_modules/.bin`) would resolve against whatever folder is
    // current: never a place to take a program from.
    if (!dir || !path.isAbsolute(dir)) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** The outcome of looking for the server binary. */
export type Resolved = { ok: true; path: string; source: string } | { ok: false; reason: string };

/** Resolves the server binary from the setting, PATH and the extension folder, in that order. */
export function resolveBinary(
  configured: string | null | undefined,
  extensionPath: string,
  workspaceRoot?: string,
  trusted = true,
): Resolved {
  if (configured && configured.trim() !== "") {
    const relative = !path.isAbsolute(expandPath(configured, undefined)) && /[\\/]/.test(configured);
    if (!trusted && relative) {
      return {
        ok: false,
        reason: `baton.path "${configured}" is relative to the workspace, and this workspace is not trusted: Baton runs no program from it. Set an absolute path in your user settings.`,
      };
    }
    const p = expandPath(configured, workspaceRoot);
    const found = path.isAbsolute(p) ? (isExecutable(p) ? p : undefined) : onPath(p);
    if (found) return { ok: true, path: found, source: "baton.path" };
    return { ok: false, reason: `baton.path is set to "${configured}", but no executable file is there.` };
  }
  const fromPath = onPath(exe);
  if (fromPath) return { ok: true, path: fromPath, source: "PATH" };
  const bundled = path.join(extensionPath, "bin", exe);
  if (!isExecutable(bundled) && fs.existsSync(bundled) && process.platform !== "win32") {
    // An unpacker that dropped the mode bits: the file is ours, make it runnable again.
    try {
      fs.chmodSync(bundled, 0o755);
    } catch {}
  }
  if (isExecutable(bundled)) return { ok: true, path: bundled, source: "extension" };
  return {
    ok: false,
    reason: "No `baton` binary found: this package carries none (install the package for your platform, e.g. baton-linux-x64.vsix), `baton` is not on the PATH VS Code was started with, and baton.path is not set. Install Baton (`cargo install --locked --path .` in its repository) or set baton.path.",
  };
}
