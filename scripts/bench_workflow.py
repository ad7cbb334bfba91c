#!/usr/bin/env python3
"""Baton on a workflow repository's shape (issue #24, item 7): speed and memory of `baton check`
and of the language server, against baselines measured in the same run.

Generates (examples/bench_workload.rs) the workflow-repository workspace (1,600 TS/TSX files,
340 migrations, about 2,000 Markdown documents with fenced SQL and TypeScript) and the same
workspace without the documents (the baseline), then, in rounds (each measure once per round, in
turn):

  - the parse-only floor (examples/parse_only.rs) on the full workspace;
  - `baton check --format json --no-cache` on the baseline and on the full workspace;
  - with --baton-before BIN, the same two runs of another binary (before/after comparisons);
  - with --repo DIR, `baton check` on that checkout too (e.g. a diepulp/pt-2 snapshot);
  - `baton lsp` on the full workspace (and on --repo): time from `initialize` to the first
    `textDocument/publishDiagnostics`, to the last one (no new one for --quiet seconds), and the
    server's peak RSS (VmHWM) at that point.

Prints a Markdown report with medians and ratios to the baselines (target/bench/workflow.md).
Never asserts a timing: the targets are compared in the report only.

Usage: scripts/bench_workflow.py [--runs N] [--profile release|debug] [--baton-before BIN]
                                 [--repo DIR] [--quick]
  --quick   a small workspace (the quick spec plus 200 documents), one round: proves it works.
"""

import argparse
import json
import os
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "target/bench"


def timed(cmd, cwd=None):
    """(wall s, CPU s, peak RSS KiB) of cmd, via /usr/bin/time when present."""
    timer = shutil.which("time", path="/usr/bin")
    with tempfile.NamedTemporaryFile("r") as rss:
        argv = ([timer, "-f", "%M", "-o", rss.name] if timer else []) + [str(c) for c in cmd]
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        if code not in (0, 1):
            raise SystemExit(f"{' '.join(map(str, cmd))} exited {code}: {proc.stderr.read()[-1000:]!r}")
        peak = usage.ru_maxrss
        if timer:
            lines = [line for line in rss.read().splitlines() if line.strip().isdigit()]
            peak = int(lines[-1]) if lines else peak
    return wall, usage.ru_utime + usage.ru_stime, peak


def frame(payload):
    body = json.dumps(payload).encode()
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


def lsp_run(baton, root, quiet):
    """(s to first diagnostics, s to the last, peak RSS KiB, documents published) of `baton lsp`
    opened on root with nothing else to do."""
    proc = subprocess.Popen([str(baton), "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, cwd=root)
    uri = Path(root).resolve().as_uri()
    start = time.perf_counter()
    proc.stdin.write(frame({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "processId": os.getpid(), "rootUri": uri, "capabilities": {},
        "workspaceFolders": [{"uri": uri, "name": "w"}],
        "initializationOptions": {"trusted": False}}}))
    proc.stdin.flush()
    buf = b""
    first = last = None
    published = set()
    initialized = False
    deadline = start + 120
    fd = proc.stdout.fileno()
    while time.perf_counter() < deadline:
        wait = quiet if last is not None else 5.0
        ready, _, _ = select.select([fd], [], [], wait)
        if not ready:
            if last is not None:
                break
            continue
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            break
        buf += chunk
        while True:
            head, sep, rest = buf.partition(b"\r\n\r\n")
            if not sep:
                break
            length = int([h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")][0].split(b":")[1])
            if len(rest) < length:
                break
            message = json.loads(rest[:length])
            buf = rest[length:]
            if message.get("id") == 1 and not initialized:
                initialized = True
                proc.stdin.write(frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
                proc.stdin.flush()
            elif "id" in message and "method" in message:
                # A request from the server (progress token, configuration): answer null.
                proc.stdin.write(frame({"jsonrpc": "2.0", "id": message["id"], "result": None}))
                proc.stdin.flush()
            elif message.get("method") == "textDocument/publishDiagnostics":
                now = time.perf_counter() - start
                first = now if first is None else first
                last = now
                published.add(message["params"]["uri"])
    peak = 0
    try:
        with open(f"/proc/{proc.pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    peak = int(line.split()[1])
    except OSError:
        pass
    proc.kill()
    proc.wait()
    return first, last, peak, len(published)


def generate(example, out, flags):
    if out.exists():
        shutil.rmtree(out)
    done = subprocess.run([str(example), str(out)] + flags, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--profile", default=None)
    parser.add_argument("--baton-before", default=None)
    parser.add_argument("--repo", default=None)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--quiet", type=float, default=2.0, help="seconds without diagnostics that end an LSP run")
    args = parser.parse_args()
    runs = args.runs or (1 if args.quick else 3)
    profile = args.profile or ("debug" if args.quick else "release")
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target")) / profile
    baton, example, floor = target / "baton", target / "examples/bench_workload", target / "examples/parse_only"
    OUT.mkdir(parents=True, exist_ok=True)
    work = OUT / "workflow-repo"
    full, bare = work / "full", work / "no-docs"
    shape = ["--quick-workflow"] if args.quick else ["--workflow-repo"]
    generated = generate(example, full, shape)
    generate(example, bare, shape + ["--no-docs"])
    empty = work / "empty.toml"
    empty.write_text("")

    def check(binary, root):
        config = [] if (Path(root) / "baton.toml").exists() else ["--config", empty]
        return timed([binary, "check", "--format", "json", "--no-cache", "--fail-on", "never", *config, root])

    measures = {"parse only, full": lambda: timed([floor, full]),
                "baton check, no documents": lambda: check(baton, bare),
                "baton check, full": lambda: check(baton, full)}
    if args.baton_before:
        measures["before: baton check, no documents"] = lambda: check(args.baton_before, bare)
        measures["before: baton check, full"] = lambda: check(args.baton_before, full)
    if args.repo:
        measures["baton check, --repo"] = lambda: check(baton, args.repo)
        if args.baton_before:
            measures["before: baton check, --repo"] = lambda: check(args.baton_before, args.repo)
    lsp_roots = {"baton lsp, full": full}
    if args.repo:
        lsp_roots["baton lsp, --repo"] = args.repo
    results = {name: [] for name in list(measures) + list(lsp_roots)}
    for _ in range(runs):
        for name, measure in measures.items():
            results[name].append(measure())
        for name, root in lsp_roots.items():
            results[name].append(lsp_run(baton, root, args.quiet))
    lines = [f"Workflow-repository shape: {generated['files']} files ({generated['ts_files']} TS/TSX, "
             f"{generated['sql_files']} SQL; the rest Markdown, signals, config), {runs} round(s), load average "
             f"{os.getloadavg()[0]:.1f} at the end.", "",
             "| measure | median wall | median CPU | median peak RSS |", "| --- | ---: | ---: | ---: |"]
    for name in measures:
        walls, cpus, rss = zip(*results[name])
        lines.append(f"| {name} | {med(walls):.2f} s | {med(cpus):.2f} s | {med(rss) / 1024:.0f} MiB |")
    lines += ["", "| server | first diagnostics | last diagnostics | peak RSS | documents published |",
              "| --- | ---: | ---: | ---: | ---: |"]
    for name in lsp_roots:
        first, last, rss, count = zip(*results[name])
        fmt = lambda v: "none" if v is None else f"{v:.2f} s"
        lines.append(f"| {name} | {fmt(med(first))} | {fmt(med(last))} | {med(rss) / 1024:.0f} MiB | {med(count):.0f} |")

    def ratio(a, b, i):
        pairs = [x[i] / y[i] for x, y in zip(results[a], results[b]) if y[i]]
        return statistics.median(pairs) if pairs else float("nan")

    lines += ["", "Ratios (median of per-round ratios):", ""]
    for i, what in ((0, "wall"), (1, "CPU"), (2, "peak RSS")):
        lines.append(f"- full / no documents, {what}: {ratio('baton check, full', 'baton check, no documents', i):.2f}×; "
                     f"full / parse-only floor: {ratio('baton check, full', 'parse only, full', i):.2f}×")
        if args.baton_before:
            lines.append(f"- after / before on the full workspace, {what}: "
                         f"{ratio('baton check, full', 'before: baton check, full', i):.2f}×")
            if args.repo:
                lines.append(f"- after / before on --repo, {what}: "
                             f"{ratio('baton check, --repo', 'before: baton check, --repo', i):.2f}×")
    report = "\n".join(lines) + "\n"
    (OUT / "workflow.md").write_text(report)
    print(report)
    if any(r[0] is None for r in results["baton lsp, full"]):
        print("bench_workflow: the server published no diagnostics", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
