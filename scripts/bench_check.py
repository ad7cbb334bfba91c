#!/usr/bin/env python3
"""Cold `baton check` against peers on a real checkout, and findings equality between builds.

    python3 scripts/bench_check.py time REPO ROUNDS NAME=COMMAND ...
        Runs each command inside REPO, in alternating rounds, with REPO/.baton/cache removed
        before every run; prints each run (wall, CPU = user + system of the command and its
        children, peak RSS, load average) and the medians. Ratios are only meaningful between
        commands of the same run (docs/performance.md).

    python3 scripts/bench_check.py same BATON_A BATON_B REPO ...
        Runs `check --no-cache --format json .` with both binaries on each REPO and compares the
        findings (everything but timing fields); exits 1 when any differ.
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def timed(repo, rounds, commands):
    results = {name: [] for name, _ in commands}
    for r in range(rounds):
        for name, command in commands:
            shutil.rmtree(os.path.join(repo, ".baton", "cache"), ignore_errors=True)
            with tempfile.NamedTemporaryFile("r") as rss_file:
                start = time.perf_counter()
                child = subprocess.Popen(
                    ["/usr/bin/time", "-f", "%M", "-o", rss_file.name, "sh", "-c", command],
                    cwd=repo, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                _, _, usage = os.wait4(child.pid, 0)
                wall = time.perf_counter() - start
                rss = int([w for w in rss_file.read().split() if w.isdigit()][-1])
            cpu = usage.ru_utime + usage.ru_stime
            results[name].append((wall, cpu, rss))
            print(f"round {r} {name}: wall {wall:.2f}s cpu {cpu:.2f}s rss {rss / 1024:.0f}MiB "
                  f"load {os.getloadavg()[0]:.1f}", flush=True)
    shutil.rmtree(os.path.join(repo, ".baton", "cache"), ignore_errors=True)
    medians = {}
    for name, runs in results.items():
        wall = statistics.median(x[0] for x in runs)
        cpu = statistics.median(x[1] for x in runs)
        medians[name] = (wall, cpu)
        print(f"MEDIAN {name}: wall {wall:.2f}s cpu {cpu:.2f}s peak rss {max(x[2] for x in runs) / 1024:.0f}MiB")
    names = list(medians)
    for other in names[1:]:
        w, c = medians[names[0]][0] / medians[other][0], medians[names[0]][1] / medians[other][1]
        print(f"RATIO {names[0]} / {other}: wall {w:.2f}x cpu {c:.2f}x")


def findings(baton, repo):
    out = subprocess.run([baton, "check", "--no-cache", "--format", "json", "."], cwd=repo,
                         capture_output=True, text=True).stdout
    report = json.loads(out)
    for key in ("duration_ms", "elapsed_ms", "timing"):
        report.pop(key, None)
    return report


def same(a, b, repos):
    differ = False
    for repo in repos:
        x, y = findings(a, repo), findings(b, repo)
        count = len(x.get("diagnostics", [])) if isinstance(x, dict) else len(x)
        if x == y:
            print(f"same   {repo}: {count} findings")
        else:
            differ = True
            print(f"DIFFER {repo}")
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "time":
        timed(sys.argv[2], int(sys.argv[3]), [a.split("=", 1) for a in sys.argv[4:]])
    elif len(sys.argv) >= 5 and sys.argv[1] == "same":
        same(sys.argv[2], sys.argv[3], sys.argv[4:])
    else:
        sys.exit(__doc__)
