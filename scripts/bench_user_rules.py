#!/usr/bin/env python3
"""What 50 user query rules cost `baton check`, cold (docs/performance.md, "User rules").

Writes the benchmarks' generated workspace (examples/bench_workload.rs), then times cold
`baton check` (empty analysis cache) on it alternately without and with 50 user query rules in
`.baton/rules/` (varied patterns using tree-sitter's and Baton's predicates), and prints the
ratio of the medians. Run through `bash scripts/bench.sh --user-rules [--quick] [--runs N]`.
"""

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def rule(i, distinct=False):
    """The i-th generated rule file: five shapes, each with its own names. `distinct`: capture
    names of the rule's own (`@f7`), so no two rules share a structure and nothing is compiled
    once for several rules (docs/user-rules.md, "What makes rules cheap")."""
    shape = i % 5
    n = str(i) if distinct else ""
    if shape == 0:
        query = f'((call_expression function: (identifier) @f{n}) @match (#eq? @f{n} "legacyCall{i}"))'
    elif shape == 1:
        query = (f'((call_expression function: (member_expression property: (property_identifier) @p{n})) @match '
                 f'(#eq? @p{n} "unsafeOp{i}") (#not-inside-call? @match "withTracing"))')
    elif shape == 2:
        query = (f'((import_statement source: (string (string_fragment) @m{n})) @match '
                 f'(#eq? @m{n} "forbidden-module-{i}"))')
    elif shape == 3:
        query = f'((new_expression constructor: (identifier) @c{n}) @match (#eq? @c{n} "OldClient{i}") (#not-test-file?))'
    else:
        query = (f'((call_expression function: (member_expression object: (identifier) @o{n})) @match '
                 f'(#imported-from? @o{n} "legacy-lib-{i}"))')
    return (f'summary = "generated rule {i}"\nmessage = "generated rule {i}: {{match}}"\n'
            f"query = '''\n{query}\n'''\n")


def cold_check(baton, work):
    cache = work / ".baton" / "cache"
    for entry in cache.glob("*") if cache.is_dir() else ():
        shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    out = subprocess.run([str(baton), "check", "--format", "json", "--fail-on", "never", "."], cwd=work,
                         capture_output=True, check=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    report = json.loads(out.stdout)
    return elapsed, cpu, report


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--user-rules", action="store_true")
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--rules", type=int, default=50)
    parser.add_argument("--distinct", action="store_true",
                        help="rules that share no structure (each its own capture names)")
    parser.add_argument("--profile", default=None)
    parser.add_argument("--baton", default=None, help="the baton binary to time (default: the profile's)")
    args = parser.parse_args()
    runs = args.runs or (2 if args.quick else 9)
    profile = args.profile or ("debug" if args.quick else "release")
    bin_dir = REPO / "target" / profile
    baton = Path(args.baton) if args.baton else bin_dir / "baton"
    out_dir = REPO / "target" / "bench" / ("user-rules-quick" if args.quick else "user-rules")
    work = out_dir / "workspace"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    gen = subprocess.run([str(bin_dir / "examples/bench_workload"), str(work)] + (["--quick"] if args.quick else []),
                         capture_output=True, check=True, text=True)
    files = json.loads(gen.stdout)["files"]
    rules_dir = work / ".baton" / "rules"
    parked = out_dir / "rules-parked"
    if parked.exists():
        shutil.rmtree(parked)
    parked.mkdir(parents=True)
    for i in range(args.rules):
        (parked / f"generated-{i:02}.toml").write_text(rule(i, args.distinct))
    # One warm-up of each, then alternate so drift hits both sides alike.
    times = {"without": [], "with": []}
    cpus = {"without": [], "with": []}
    counts = {}
    for round_ in range(runs + 1):
        for side in ("without", "with"):
            if side == "with":
                shutil.copytree(parked, rules_dir)
            elapsed, cpu, report = cold_check(baton, work)
            if side == "with":
                shutil.rmtree(rules_dir)
            counts[side] = len(report["diagnostics"])
            problems = [d for d in report["diagnostics"] if d["rule"] == "meta/config"]
            if problems:
                print(f"bench: a generated rule does not load: {problems[0]}", file=sys.stderr)
                return 1
            if round_ > 0:
                times[side].append(elapsed)
                cpus[side].append(cpu)
    without, with_ = statistics.median(times["without"]), statistics.median(times["with"])
    ratio = with_ / without
    cpu_without, cpu_with = statistics.median(cpus["without"]), statistics.median(cpus["with"])
    cpu_ratio = cpu_with / cpu_without
    # The ratio of each round's pair, too: on a shared machine the load drifts between rounds.
    paired = statistics.median(w / o for w, o in zip(times["with"], times["without"]))
    load = os.getloadavg()[0]
    kind = "distinct " if args.distinct else ""
    print(f"user rules: {files} files; cold `baton check` median of {runs}: without {without:.3f} s, "
          f"with {args.rules} {kind}user query rules {with_:.3f} s, ratio {ratio:.3f} (median of paired ratios "
          f"{paired:.3f}); CPU {cpu_without:.3f} s / {cpu_with:.3f} s, ratio {cpu_ratio:.3f}; "
          f"findings {counts['without']} / {counts['with']}; load average {load:.1f}")
    (out_dir / "report.json").write_text(json.dumps({"files": files, "runs": runs, "rules": args.rules, "distinct": args.distinct,
                                                     "times": times, "cpu": cpus, "ratio": ratio,
                                                     "paired_ratio": paired, "cpu_ratio": cpu_ratio,
                                                     "load": load}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
