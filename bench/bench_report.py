"""Benchmark `credential report` against `credential evaluate --explain` on the same bundle, in one run.

Each measurement runs in a fresh subprocess (imports included, as a user's command would) and the
fastest of ``--repeat`` runs (by wall time) is kept, the two commands' runs alternating.  Both
commands use the same backend.  Prints, per size, the report's build time (wall and CPU), pages
and size next to the time of `evaluate --explain --format jsonl --output FILE`, and their ratios
(the target is a wall-time ratio of at most 2).  Usage:

    PYTHONPATH=engine python3 bench/bench_report.py [--sizes 2000] [--repeat 3] [--backend auto] [--nhs]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AS_OF = "2026-11-22"

REPORT = r"""
import sys, time, json, datetime as dt
t = time.perf_counter()
from credential.report import build_report
s = build_report(sys.argv[3], sys.argv[1], sys.argv[2], as_of=dt.date.fromisoformat(sys.argv[4]), backend=sys.argv[5])
print(json.dumps({"seconds": time.perf_counter() - t, "pages": s.pages, "bytes": s.bytes}))
"""

EXPLAIN = r"""
import sys, time, json
t = time.perf_counter()
from credential.cli import main
try:
    main(["evaluate", "--policy", sys.argv[1], "--data", sys.argv[2], "--as-of", sys.argv[4], "--explain",
          "--format", "jsonl", "--output", sys.argv[3], "--backend", sys.argv[5]])
except SystemExit as e:
    assert not e.code, e.code
print(json.dumps({"seconds": time.perf_counter() - t}))
"""


def child(code: str, *args: str) -> dict[str, float]:
    """One run in a fresh process: its wall time and its CPU time (user + system, which a busy machine
    inflates less than wall time)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT / "engine"))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run([sys.executable, "-c", code, *args], check=True, capture_output=True, text=True, env=env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    result["cpu"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return result


def fastest_pair(repeat: int, report_args: list[str], explain_args: list[str]) -> tuple[dict[str, float], ...]:
    """The fastest of ``repeat`` runs of each command, the two alternating (report, explain, report, ...)
    so that a change in the machine's load weighs on both alike; ratios use the fastest of each.

    Each run writes a fresh output (a first build: replacing an earlier report also deletes it).
    """
    reports, explains = [], []
    for i in range(repeat):
        reports.append(child(REPORT, *report_args[:2], f"{report_args[2]}.{i}", *report_args[3:]))
        explains.append(child(EXPLAIN, *explain_args[:2], f"{explain_args[2]}.{i}", *explain_args[3:]))
    return min(reports, key=lambda r: r["seconds"]), min(explains, key=lambda r: r["seconds"])


def synthetic(n: int, tmp: Path, policy: Path) -> Path:
    sys.path.insert(0, str(ROOT / "engine"))
    from credential.data.synthetic import generate_bundle, write_bundle
    from credential.policy import load_policy

    path = tmp / f"synthetic_{n}"
    write_bundle(generate_bundle(n, seed=42, spec=load_policy(policy).bundle_spec()), path, "csv")
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="*", default=[2000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--backend", default="auto")
    ap.add_argument("--nhs", action="store_true", help="also the bundled NHS data")
    args = ap.parse_args()
    policy = ROOT / "policies" / "dalton_2014.cred"
    print(
        f"{'bundle':<16} {'report s':>9} {'cpu s':>7} {'pages':>6} {'MB':>7} {'explain s':>10} {'cpu s':>7} "
        f"{'ratio':>6} {'cpu ratio':>9}"
    )
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        bundles = [(f"synthetic {n}", synthetic(n, tmp, policy)) for n in args.sizes]
        if args.nhs:
            bundles.insert(0, ("NHS", ROOT / "fixtures" / "nhs"))
        for label, data in bundles:
            t = time.perf_counter()
            rep, exp = fastest_pair(
                args.repeat,
                [str(policy), str(data), str(tmp / "site"), AS_OF, args.backend],
                [str(policy), str(data), str(tmp / "out.jsonl"), AS_OF, args.backend],
            )
            ratio = rep["seconds"] / exp["seconds"]
            print(
                f"{label:<16} {rep['seconds']:>9.2f} {rep['cpu']:>7.2f} {int(rep['pages']):>6} "
                f"{rep['bytes'] / 1e6:>7.1f} "
                f"{exp['seconds']:>10.2f} {exp['cpu']:>7.2f} {ratio:>6.2f} {rep['cpu'] / exp['cpu']:>9.2f}"
                f"   ({time.perf_counter() - t:.0f} s)",
                flush=True,
            )


if __name__ == "__main__":
    main()
