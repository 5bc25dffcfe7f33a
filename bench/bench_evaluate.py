"""Benchmark `credential evaluate` with and without --explain (issue: decisions an auditor can trust).

Runs each configuration in a fresh subprocess and prints wall time, peak resident memory and the
explain/plain ratio, for the bundled real NHS data and synthetic bundles (the reference policy's
declarations, seeded).  Usage:

    PYTHONPATH=engine python3 bench/bench_evaluate.py [--sizes 2000 20000] [--backend pydatalog]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import resource, sys, time, datetime as dt, json
from credential.engine import run
from credential.output.render import render
t = time.perf_counter()
result = run(sys.argv[1], sys.argv[2], [dt.date(2026, 11, 22)], explain=sys.argv[3] == "1", backend=sys.argv[4])
text = render(result, "jsonl")
elapsed = time.perf_counter() - t
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": elapsed, "peak_mb": rss, "records": len(result.frame), "bytes": len(text)}))
"""


def measure(policy: Path, data: Path, explain: bool, backend: str) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "engine"))
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(policy), str(data), "1" if explain else "0", backend],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def synthetic(n: int, tmp: Path, policy: Path) -> Path:
    sys.path.insert(0, str(ROOT / "engine"))
    from credential.data.synthetic import generate_bundle, write_bundle
    from credential.policy import load_policy

    spec = load_policy(policy).bundle_spec()
    path = tmp / f"synthetic_{n}"
    write_bundle(generate_bundle(n, seed=42, spec=spec), path, "csv")
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", type=int, nargs="*", default=[2000, 20000])
    ap.add_argument("--backend", default="pydatalog")
    ap.add_argument("--policy", type=Path, default=ROOT / "policies" / "dalton_2014.cred")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        datasets = [("real NHS (202 trusts)", ROOT / "fixtures" / "nhs")]
        for n in args.sizes:
            t = time.perf_counter()
            datasets.append((f"synthetic {n:,}", synthetic(n, tmp, args.policy)))
            print(f"generated synthetic {n:,} in {time.perf_counter() - t:.1f} s", file=sys.stderr)
        for label, data in datasets:
            plain = measure(args.policy, data, False, args.backend)
            expl = measure(args.policy, data, True, args.backend)
            rows.append((label, plain, expl))
            print(f"done {label}", file=sys.stderr)
    print(f"backend: {args.backend}; policy: {args.policy.name}; one as-of date")
    print(
        f"{'bundle':<24} {'records':>9} {'plain s':>9} {'plain MB':>9} "
        f"{'explain s':>10} {'explain MB':>11} {'ratio':>6}"
    )
    for label, plain, expl in rows:
        print(
            f"{label:<24} {int(plain['records']):>9,} {plain['seconds']:>9.2f} {plain['peak_mb']:>9.0f} "
            f"{expl['seconds']:>10.2f} {expl['peak_mb']:>11.0f} {expl['seconds'] / plain['seconds']:>6.2f}"
        )


if __name__ == "__main__":
    main()
