#!/usr/bin/env python3
"""Baton on real public repositories: precision per rule per repository, against hand labels.

The corpus is listed in tests/realworld/*-repos.tsv (repo, commit, note) and labelled in
tests/realworld/*-labels.tsv (repo, commit, path, line, rule, verdict, reason), facts only: no
third-party code lives in this repository. Each snapshot is expected at
$BATON_CORPUS/<owner>+<name> (default target/realworld); repositories whose snapshot is absent
are skipped and listed. How to obtain snapshots: docs/realworld.md.

A finding matches a label by repository, path, 1-based line and rule. Verdicts: TP (right), FP
(wrong), FN (a miss: no finding expected from Baton yet; reported as found or still missed).

Usage: scripts/realworld.py [--baton BIN] [--repo OWNER/NAME] [--rules PREFIX] [--strict]
  --strict   exit 1 when a finding is unlabelled or a rule's precision on a repository is
             below --min-precision (0.90)
"""

import argparse
import csv
import glob
import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def read_tsv(pattern):
    rows = []
    for path in sorted(glob.glob(os.path.join(ROOT, "tests", "realworld", pattern))):
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f, delimiter="\t")
            for n, row in enumerate(reader, start=2):
                if not row.get("repo") or row["repo"].startswith("#"):
                    continue
                row["_source"] = f"{os.path.relpath(path, ROOT)}:{n}"
                rows.append(row)
    return rows


def snapshot_dir(corpus, repo):
    return os.path.join(corpus, repo.replace("/", "+"))


def run_baton(baton, snapshot):
    """The JSON report of `baton check` on a snapshot, with its own baton.toml or the defaults."""
    with tempfile.TemporaryDirectory() as tmp:
        args = [baton, "check", "--format", "json", "--no-cache", "--fail-on", "never"]
        if not os.path.exists(os.path.join(snapshot, "baton.toml")):
            empty = os.path.join(tmp, "baton.toml")
            open(empty, "w").close()
            args += ["--config", empty]
        done = subprocess.run(args + [snapshot], capture_output=True, text=True)
    if done.returncode not in (0, 1):
        raise RuntimeError(f"baton exited {done.returncode} on {snapshot}: {done.stderr.strip()[:500]}")
    return json.loads(done.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baton", default=os.path.join(ROOT, "target", "release", "baton"))
    parser.add_argument("--corpus", default=os.environ.get("BATON_CORPUS", os.path.join(ROOT, "target", "realworld")))
    parser.add_argument("--repo", action="append", help="only this repository (repeatable)")
    parser.add_argument("--rules", action="append", help="only rules with this id prefix (repeatable)")
    parser.add_argument("--strict", action="store_true")
    parser.add_argument("--min-precision", type=float, default=0.90)
    args = parser.parse_args()

    repos = {}
    for row in read_tsv("*-repos.tsv"):
        repos.setdefault(row["repo"], row)
    labels = defaultdict(dict)
    for row in read_tsv("*-labels.tsv"):
        key = (row["path"], int(row["line"]), row["rule"])
        labels[row["repo"]][key] = row

    wanted_rule = lambda rule: not args.rules or any(rule.startswith(p) for p in args.rules)
    failures = 0
    absent = []
    table = []
    for repo in sorted(repos):
        if args.repo and repo not in args.repo:
            continue
        snapshot = snapshot_dir(args.corpus, repo)
        if not os.path.isdir(snapshot):
            absent.append(repo)
            continue
        report = run_baton(args.baton, snapshot)
        repo_labels = labels.get(repo, {})
        counts = defaultdict(lambda: {"findings": 0, "TP": 0, "FP": 0, "unlabelled": 0})
        unlabelled = []
        found = set()
        for d in report["diagnostics"]:
            if not wanted_rule(d["rule"]):
                continue
            key = (d["path"], d["range"]["start"]["line"] + 1, d["rule"])
            found.add(key)
            c = counts[d["rule"]]
            c["findings"] += 1
            label = repo_labels.get(key)
            verdict = label["verdict"] if label else None
            if verdict in ("TP", "FP"):
                c[verdict] += 1
            elif verdict == "FN":
                c["TP"] += 1  # a labelled miss that Baton now finds is right
            else:
                c["unlabelled"] += 1
                unlabelled.append(f"  {d['path']}:{key[1]} {d['rule']}: {d['message'][:140]}")
        gone = [
            (key, row) for key, row in repo_labels.items()
            if key not in found and wanted_rule(key[2]) and row["verdict"] in ("TP", "FN")
        ]
        print(f"\n## {repo} @ {repos[repo].get('commit', '?')[:12]}  ({report['files_scanned']} files)")
        for rule in sorted(counts):
            c = counts[rule]
            judged = c["TP"] + c["FP"]
            precision = c["TP"] / judged if judged else None
            shown = f"{precision:.2f}" if precision is not None else "  - "
            table.append((repo, rule, c, precision))
            print(f"  {rule:45} findings {c['findings']:4}  TP {c['TP']:4}  FP {c['FP']:4}  "
                  f"unlabelled {c['unlabelled']:3}  precision {shown}")
            if precision is not None and precision < args.min_precision:
                failures += 1
        if unlabelled:
            failures += len(unlabelled)
            print(" unlabelled findings:")
            print("\n".join(unlabelled))
        if gone:
            print(" labelled right or missed, not reported now (misses):")
            for (path, line, rule), row in sorted(gone):
                print(f"  {path}:{line} {rule} [{row['verdict']}] {row['reason']}")
    if absent:
        print(f"\nsnapshots absent under {args.corpus} (skipped): {', '.join(absent)}")
    if not table and not absent:
        print("no corpus listed in tests/realworld/*-repos.tsv")
    if args.strict and failures:
        print(f"\n{failures} problem(s): unlabelled findings or precision under {args.min_precision}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
