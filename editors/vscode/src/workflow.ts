// What the client can offer in its pickers without asking the server: the stages and gates a
// workspace's baton.toml declares, the agents in .claude/agents/, and git's user.name.
import { execFile } from "child_process";

/** The `stages = [...]` of `[workflow]` and the names of the `[gates.NAME]` tables, read leniently. */
export function workflowNames(toml: string): { stages: string[]; gates: string[] } {
  const stages: string[] = [];
  const gates: string[] = [];
  let table = "";
  for (const raw of toml.split(/\r?\n/)) {
    const line = raw.replace(/#.*$/, "").trim();
    const header = /^\[\s*([^\]]+?)\s*\]$/.exec(line);
    if (header) {
      table = header[1];
      const gate = /^gates\.(?:"([^"]+)"|([A-Za-z0-9_-]+))$/.exec(table);
      if (gate) gates.push(gate[1] ?? gate[2]);
      continue;
    }
    if (table === "workflow") {
      const m = /^stages\s*=\s*\[(.*)\]/.exec(line);
      if (m) {
        for (const s of m[1].matchAll(/"([^"]*)"|'([^']*)'/g)) stages.push(s[1] ?? s[2]);
      }
    }
  }
  return { stages, gates };
}

/** git's `user.name` in `cwd`, or undefined (no git, not configured, or too slow). */
export function gitUserName(cwd: string | undefined): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile("git", ["config", "user.name"], { cwd, timeout: 2000 }, (err, stdout) => {
      const name = stdout?.toString().trim();
      resolve(err || !name ? undefined : name);
    });
  });
}
