#!/usr/bin/env python3
"""Whether `baton check` finds the same with its prefilter as without it (`BATON_NO_PREFILTER=1`),
on real repositories, with user query rules (docs/performance.md, "User rules", session 14).

For each repository under the corpus (default /work/corpus/OWNER+NAME), builds a tree of hard
links to its files under target/ (the snapshot itself is never written to), puts the rule files
of --rules (default scripts/prefilter-rules/) in its `.baton/rules/`, runs `baton check --format
json --no-cache` with and without the prefilter, and prints whether the diagnostics are
identical, the user rules' finding counts and how many TS/JS files the prefilter left unparsed.
Exit status 1 when some repository differs.

    python3 scripts/compare_prefilter.py --baton target/release/baton formbricks/formbricks mfts/papermark
"""

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_RULES = str(REPO / "scripts" / "prefilter-rules")
# Rules of examples/user-rules/ that are part of the default set.
EXAMPLE_RULES = ["fetch-with-tracing.scm", "fetch-with-tracing.toml", "prisma-import-boundary.toml"]


def check(baton, root, env):
    start = time.perf_counter()
    out = subprocess.run([str(baton), "check", "--format", "json", "--no-cache", "--fail-on", "never", "."],
                         cwd=root, env=dict(os.environ, **env), capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if out.returncode not in (0, 1):
        raise SystemExit(f"baton check failed in {root}: {out.stderr[-2000:]}")
    needs = collections.Counter(line.split()[1][0] for line in out.stderr.splitlines()
                                if line.startswith("prefilter-need"))
    return json.loads(out.stdout)["diagnostics"], elapsed, needs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repos", nargs="+", help="OWNER/NAME (or OWNER+NAME)")
    parser.add_argument("--baton", default=str(REPO / "target" / "release" / "baton"))
    parser.add_argument("--corpus", default=os.environ.get("BATON_CORPUS", "/work/corpus"))
    parser.add_argument("--rules", default=DEFAULT_RULES)
    args = parser.parse_args()
    links = REPO / "target" / "compare-prefilter"
    differs = False
    for repo in args.repos:
        name = repo.replace("/", "+")
        source = Path(args.corpus) / name
        if not source.is_dir():
            print(f"{repo}: no snapshot at {source}", file=sys.stderr)
            differs = True
            continue
        root = links / name
        if root.exists():
            shutil.rmtree(root)
        links.mkdir(parents=True, exist_ok=True)
        subprocess.run(["cp", "-al", str(source), str(root)], check=True)
        try:
            if (root / ".baton").exists():
                shutil.rmtree(root / ".baton")
            shutil.copytree(args.rules, root / ".baton" / "rules")
            if args.rules == DEFAULT_RULES:
                # The example workspace's rules join the set as they are, not as copies.
                for name in EXAMPLE_RULES:
                    shutil.copy(REPO / "examples" / "user-rules" / ".baton" / "rules" / name, root / ".baton" / "rules")
            with_, wall_with, needs = check(args.baton, root, {"BATON_PREFILTER_DEBUG": "1"})
            without, wall_without, _ = check(args.baton, root, {"BATON_NO_PREFILTER": "1"})
        finally:
            shutil.rmtree(root)
        same = with_ == without
        differs |= not same
        users = collections.Counter(d["rule"] for d in with_ if d["rule"].startswith("project/") or d["rule"] == "meta/config")
        print(f"{repo}: {'identical' if same else 'DIFFERENT'}, {len(with_)} / {len(without)} findings, "
              f"user rules {dict(sorted(users.items()))}; TS/JS files analysed {needs['A']}, facts only "
              f"{needs['F']}, left to the imports' closure {needs['L']}; {wall_with:.2f} s with the prefilter, "
              f"{wall_without:.2f} s without")
        if not same:
            a = {json.dumps(d, sort_keys=True) for d in with_}
            b = {json.dumps(d, sort_keys=True) for d in without}
            for d in sorted(a - b)[:5]:
                print("  only with the prefilter:", d[:300])
            for d in sorted(b - a)[:5]:
                print("  only without it:", d[:300])
    return 1 if differs else 0


if __name__ == "__main__":
    sys.exit(main())
