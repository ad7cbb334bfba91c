#!/usr/bin/env python3
"""Driver of scripts/bench.sh: Baton against ast-grep, semgrep, squawk and a parse-only pass.

Generates the deterministic workspace (examples/bench_workload.rs), runs every tool on it
in rounds, each tool once per round in turn (wall time: median, and ratios within a round; peak
RSS from wait4), normalises each tool's JSON output to
(rule, path, line) findings, compares them per rule and prints a Markdown report (also written
to target/bench/report.md, with the raw numbers in target/bench/report.json).

--quick: a small workspace and two runs; checks that every tool ran and produced parseable
output and that Baton found the planted findings. It never asserts timings.
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VENV = REPO / "target/test-deps/bench-venv/bin"
BENCH_DIR = REPO / "target/bench"

# Peer rule ids (after normalisation) -> Baton rule ids.
SQUAWK_RULES = {
    "require-concurrent-index-creation": "sql/non-concurrent-index",
    "adding-required-field": "sql/adding-required-field",
    "changing-column-type": "sql/changing-column-type",
    "ban-drop-column": "sql/ban-drop-column",
    "ban-drop-table": "sql/ban-drop-table",
    "adding-foreign-key-constraint": "sql/adding-foreign-key-constraint",
}
TS_RULES = [
    "rls/prisma-outside-context",
    "auth/route-missing-auth",
    "security/prisma-raw-unsafe",
    "auth/jwt-verify-no-algorithms",
    "patterns/dto-interface",
    "patterns/dto-type-assertion",
]


class Failure(Exception):
    """The harness itself failed (a tool did not run or gave unparseable output)."""


def run(cmd, cwd, env=None, ok_codes=(0,)):
    """Runs cmd; returns (wall seconds, CPU seconds (user + system, children included), peak RSS in
    KiB, stdout text). Raises Failure on a bad exit."""
    # Peak RSS from /usr/bin/time: wait4's ru_maxrss of a child forked from this (large) Python
    # process starts at this process's RSS, not the tool's.
    timer = shutil.which("time", path="/usr/bin")
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile("r") as rss:
        argv = [timer, "-f", "%M", "-o", rss.name] + [str(c) for c in cmd] if timer else cmd
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
        peak = usage.ru_maxrss
        cpu = usage.ru_utime + usage.ru_stime
        if timer:
            lines = [line for line in rss.read().splitlines() if line.strip().isdigit()]
            peak = int(lines[-1]) if lines else peak
    if proc.returncode not in ok_codes:
        raise Failure(f"{' '.join(map(str, cmd))} exited {proc.returncode}:\n{stderr[-2000:]}")
    return elapsed, cpu, peak, stdout


def measure_rounds(tools, cwd, runs, env):
    """Runs every tool once per round, `runs` rounds, in the given order: a change in the machine's
    load then hits every tool alike instead of whichever ran during it, and each round gives one
    ratio between any two tools. `tools` is a list of (key, label, cmd, ok_codes, before); returns,
    by key, a dict with every time, the median, the peak RSS and the last output."""
    results = {key: {"name": label, "times": [], "cpu": [], "rss_kib": 0, "stdout": ""} for key, label, *_ in tools}
    for _ in range(runs):
        for key, label, cmd, ok_codes, before in tools:
            if before:
                before()
            # Written data (the generated workspace, the last run's cache) is flushed before the
            # clock starts: writeback running during a run slowed its reads up to tenfold here.
            os.sync()
            seconds, cpu, peak, stdout = run(cmd, cwd, env, ok_codes)
            r = results[key]
            r["times"].append(seconds)
            r["cpu"].append(cpu)
            r["rss_kib"] = max(r["rss_kib"], peak)
            r["stdout"] = stdout
            print(f"  {label}: {seconds:.3f} s, {peak / 1024:.0f} MiB", file=sys.stderr)
    for r in results.values():
        r["median"] = statistics.median(r["times"])
        r["median_cpu"] = statistics.median(r["cpu"])
    return results


def paired_ratio(results, a, b):
    """The median over rounds of `a`'s time over `b`'s in the same round."""
    return statistics.median(x / y for x, y in zip(results[a]["times"], results[b]["times"]))


def parse_json(name, text):
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise Failure(f"{name} output is not JSON ({e}): {text[:300]!r}") from e


def baton_findings(text):
    data = parse_json("baton", text)
    return [(d["rule"], d["path"], d["range"]["start"]["line"] + 1) for d in data["diagnostics"]]


def ast_grep_findings(text, root):
    out = []
    for line in text.splitlines():
        if not line.strip():
            continue
        m = parse_json("ast-grep", line)
        rule = m["ruleId"].removesuffix("-tsx").removesuffix("-ts").replace("-", "/", 1)
        out.append((rule, os.path.relpath(os.path.join(root, m["file"]), root), m["range"]["start"]["line"] + 1))
    return out


def semgrep_findings(text, root):
    data = parse_json("semgrep", text)
    out = []
    for r in data.get("results", []):
        rule = r["check_id"].rsplit(".", 1)[-1].replace("-", "/", 1)
        out.append((rule, os.path.relpath(os.path.join(root, r["path"]), root), r["start"]["line"]))
    return out, data.get("errors", [])


def squawk_findings(text, root):
    data = parse_json("squawk", text) if text.strip() else []
    out = []
    for v in data:
        rule = v.get("rule_name") or v.get("rule") or "?"
        out.append((SQUAWK_RULES.get(rule, "squawk/" + rule), os.path.relpath(os.path.join(root, v["file"]), root), v.get("line", 0) + 1))
    return out


def per_rule(findings):
    return Counter(rule for rule, _, _ in findings)


def by_file(findings, rule):
    files = defaultdict(list)
    for r, path, line in findings:
        if r == rule:
            files[path].append(line)
    return files


def disagreements(baton, peer, rules, sample=3):
    """Per rule: files Baton flags that the peer does not, and the other way round."""
    rows = []
    for rule in rules:
        b, p = by_file(baton, rule), by_file(peer, rule)
        only_b = sorted(set(b) - set(p))
        only_p = sorted(set(p) - set(b))
        rows.append({
            "rule": rule,
            "baton": sum(len(v) for v in b.values()),
            "peer": sum(len(v) for v in p.values()),
            "only_baton": len(only_b),
            "only_peer": len(only_p),
            "samples_only_baton": [f"{f}:{b[f][0]}" for f in only_b[:sample]],
            "samples_only_peer": [f"{f}:{p[f][0]}" for f in only_p[:sample]],
        })
    return rows


def machine():
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = next(l for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal"))
        mem = f"{int(mem.split()[1]) / 1048576:.0f} GiB"
    except (OSError, StopIteration):
        mem = "?"
    return {"cpu": cpu, "cores": os.cpu_count(), "memory": mem, "kernel": platform.release(), "load": os.getloadavg()}


def version(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120).stdout.strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "?"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small workspace, 2 runs, harness checks only")
    parser.add_argument("--runs", type=int, default=None, help="runs per tool (default 5, quick: 2)")
    parser.add_argument("--profile", default=None, help="cargo profile dir of the binaries (default release, quick: debug)")
    args = parser.parse_args()
    runs = args.runs or (2 if args.quick else 5)
    profile = args.profile or ("debug" if args.quick else "release")
    bin_dir = REPO / "target" / profile
    baton = bin_dir / "baton"
    out_dir = BENCH_DIR / ("quick" if args.quick else "large")
    work = out_dir / "workspace"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    gen_args = [str(bin_dir / "examples/bench_workload"), str(work)] + (["--quick"] if args.quick else [])
    _, _, _, gen_out = run(gen_args, REPO)
    generated = parse_json("bench_workload", gen_out)
    files = generated["files"]
    print(f"workspace: {files} files ({generated['ts_files']} TS/TSX, {generated['sql_files']} SQL) in {work}", file=sys.stderr)

    semgrep_home = out_dir / "semgrep-home"
    semgrep_home.mkdir(exist_ok=True)
    env = dict(os.environ)
    # Keep semgrep offline and its settings and logs inside target/.
    env.update({
        "SEMGREP_SETTINGS_FILE": str(semgrep_home / "settings.yml"),
        "SEMGREP_LOG_FILE": str(semgrep_home / "semgrep.log"),
        "SEMGREP_VERSION_CACHE_PATH": str(semgrep_home / "version"),
        "SEMGREP_ENABLE_VERSION_CHECK": "0",
        "SEMGREP_SEND_METRICS": "off",
        "XDG_CONFIG_HOME": str(semgrep_home),
        "XDG_CACHE_HOME": str(semgrep_home),
    })
    env.pop("BATON_CACHE_STATS", None)
    migrations = sorted(str(p.relative_to(work)) for p in (work / "supabase/migrations").glob("*.sql"))
    cache_dir = work / ".baton" / "cache"

    def clear_cache():
        # Empties the cache but keeps the folder, as in a workspace Baton has run in before:
        # deleting `.baton/` would change the workspace root's entries (and so its listing).
        for entry in cache_dir.glob("*") if cache_dir.is_dir() else ():
            if entry.is_dir():
                shutil.rmtree(entry)
            else:
                entry.unlink()

    baton_cmd = [str(baton), "check", "--format", "json", "--fail-on", "never", "."]

    print("measuring:", file=sys.stderr)
    tools = [
        ("parse-only", "parse-only", [str(bin_dir / "examples/parse_only"), "."], (0,), None),
        ("baton-cold", "baton cold", baton_cmd, (0,), clear_cache),
        ("baton-no-cache", "baton --no-cache", baton_cmd[:2] + ["--no-cache"] + baton_cmd[2:], (0,), None),
        # Right after the cold run, whose cache `--no-cache` neither reads nor writes.
        ("baton-warm", "baton warm", baton_cmd, (0,), None),
        ("ast-grep", "ast-grep",
         [str(VENV / "ast-grep"), "scan", "--config", str(REPO / "scripts/bench/ast-grep/sgconfig.yml"), "--json=stream", "."],
         (0, 1), None),
        ("semgrep", "semgrep",
         [str(VENV / "semgrep"), "scan", "--config", str(REPO / "scripts/bench/semgrep.yml"), "--json", "--metrics=off",
          "--disable-version-check", "--no-git-ignore", "--jobs", str(os.cpu_count() or 1), "--quiet", "."],
         (0,), None),
        ("squawk", "squawk", [str(VENV / "squawk"), "--reporter", "json"] + migrations, (0, 1), None),
    ]
    results = measure_rounds(tools, work, runs, env)

    # Findings.
    cold = baton_findings(results["baton-cold"]["stdout"])
    warm = baton_findings(results["baton-warm"]["stdout"])
    uncached = baton_findings(results["baton-no-cache"]["stdout"])
    astgrep = ast_grep_findings(results["ast-grep"]["stdout"], work)
    semgrep, semgrep_errors = semgrep_findings(results["semgrep"]["stdout"], work)
    squawk = squawk_findings(results["squawk"]["stdout"], work)
    parse_json("parse-only", results["parse-only"]["stdout"])

    problems = []
    if sorted(warm) != sorted(cold) or sorted(uncached) != sorted(cold):
        problems.append("baton's warm or --no-cache output differs from its cold output")
    counts = per_rule(cold)
    planted = generated["planted"]
    for rule, expected in planted.items():
        if counts.get(rule, 0) < expected:
            problems.append(f"baton found {counts.get(rule, 0)} {rule}, {expected} planted")
    for name, found in (("ast-grep", astgrep), ("semgrep", semgrep), ("squawk", squawk)):
        if not found:
            problems.append(f"{name} reported nothing (its rules or output format are broken)")

    report = render(args, generated, results, cold, astgrep, semgrep, semgrep_errors, squawk, planted, files)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "report.md").write_text(report)
    raw = {k: {kk: vv for kk, vv in v.items() if kk != "stdout"} for k, v in results.items()}
    (out_dir / "report.json").write_text(json.dumps({"machine": machine(), "generated": generated, "results": raw}, indent=2))
    print(report)
    if problems:
        print("bench: harness check FAILED:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    print(f"bench: every tool ran; Baton found every planted finding ({sum(planted.values())}).", file=sys.stderr)
    return 0


def render(args, generated, results, cold, astgrep, semgrep, semgrep_errors, squawk, planted, files):
    m = machine()
    lines = [f"## Against peers ({'quick' if args.quick else 'large'} workspace)", ""]
    lines.append(f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory']}, Linux {m['kernel']}; load average at the end "
                 f"{m['load'][0]:.2f} / {m['load'][1]:.2f} / {m['load'][2]:.2f}.")
    # Package metadata, not `semgrep --version`, which may wait on a network version check.
    installed = version([str(VENV / "python"), "-c", "import importlib.metadata as m; print(' '.join("
                         "f'{p} {m.version(p)}' for p in ('ast-grep-cli', 'semgrep', 'squawk-cli')))"])
    lines.append(f"Versions: {installed}.")
    lines.append(f"Workspace: {files} files, {generated['bytes'] / 1048576:.1f} MiB ({generated['ts_files']} TS/TSX, "
                 f"{generated['sql_files']} SQL migrations, workflow docs and signals). Rounds (runs per tool): {len(results['baton-cold']['times'])}.")
    lines += ["", "| tool | files | median wall | min | files/s | median CPU | peak RSS |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    scope = {
        "parse-only": files, "baton-cold": files, "baton-no-cache": files, "baton-warm": files,
        "ast-grep": generated["ts_files"], "semgrep": generated["ts_files"], "squawk": generated["sql_files"],
    }
    labels = {
        "parse-only": "tree-sitter/squawk parse only (floor)", "baton-cold": "`baton check`, cold (empty cache)",
        "baton-no-cache": "`baton check --no-cache`", "baton-warm": "`baton check`, warm (nothing changed)",
        "ast-grep": "`ast-grep scan` (6 rules × TS/TSX)", "semgrep": "`semgrep scan` (6 rules)", "squawk": "`squawk` (migrations)",
    }
    for key, r in results.items():
        lines.append(f"| {labels[key]} | {scope[key]} | {r['median'] * 1000:.0f} ms | {min(r['times']) * 1000:.0f} ms | "
                     f"{scope[key] / r['median']:.0f} | {r['median_cpu'] * 1000:.0f} ms | {r['rss_kib'] / 1024:.0f} MiB |")
    med = {k: v["median"] for k, v in results.items()}
    lines += ["", "Headline ratios (lower is better for Baton): the ratio of the median wall times, then in parentheses the "
              "median over rounds of the ratio within one round (each round runs every tool once, in turn):", ""]
    for a, b in (("baton-cold", "ast-grep"), ("baton-cold", "semgrep"), ("baton-cold", "parse-only"),
                 ("baton-no-cache", "ast-grep"), ("baton-warm", "ast-grep"), ("parse-only", "ast-grep")):
        lines.append(f"- {labels[a]} / {labels[b]}: **{med[a] / med[b]:.2f}×** ({paired_ratio(results, a, b):.2f}× by round)")
    lines += ["", "Findings per rule (Baton: every rule; peers: the rules they were given):", "",
              "| rule | planted | Baton | ast-grep | semgrep | squawk |", "| --- | ---: | ---: | ---: | ---: | ---: |"]
    cb, ca, cs, cq = per_rule(cold), per_rule(astgrep), per_rule(semgrep), per_rule(squawk)
    for rule in sorted(set(cb) | set(ca) | set(cs) | set(cq)):
        cell = lambda c, r=rule: str(c[r]) if r in c else "–"  # noqa: E731
        lines.append(f"| `{rule}` | {planted.get(rule, '')} | {cell(cb)} | {cell(ca)} | {cell(cs)} | {cell(cq)} |")
    if semgrep_errors:
        lines.append(f"\nsemgrep reported {len(semgrep_errors)} errors (e.g. {str(semgrep_errors[0])[:200]}).")
    lines += ["", "Where they disagree (files flagged by one and not the other; samples `path:line`):", "",
              "| rule | peer | Baton | peer | only Baton | only peer | samples only Baton | samples only peer |",
              "| --- | --- | ---: | ---: | ---: | ---: | --- | --- |"]
    for peer_name, peer, rules in (("ast-grep", astgrep, TS_RULES), ("semgrep", semgrep, TS_RULES),
                                   ("squawk", squawk, sorted(set(SQUAWK_RULES.values())))):
        for row in disagreements(cold, peer, rules):
            if row["only_baton"] or row["only_peer"] or row["baton"] != row["peer"]:
                lines.append(f"| `{row['rule']}` | {peer_name} | {row['baton']} | {row['peer']} | {row['only_baton']} | "
                             f"{row['only_peer']} | {', '.join(row['samples_only_baton'])} | {', '.join(row['samples_only_peer'])} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Failure as e:
        print(f"bench: {e}", file=sys.stderr)
        sys.exit(1)
