"""Benchmark the Datalog backends: load + evaluate time and peak memory per fact count.

Each (backend, size) runs in a fresh subprocess (so peak RSS is that run's own), on a representative
credentialing-shaped program: joins, negation (also of a derived predicate), comparisons on ints,
floats and strings, and arithmetic. Data are generated from a fixed seed, so both backends see the
same facts; the ``eligible`` and ``rows`` columns let you check that they agree. Usage::

    PYTHONPATH=engine python3 bench/bench_datalog.py [--sizes 1000 10000 100000 300000]
        [--backends pydatalog duckdb] [--timeout 900] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROGRAM = """
registered(P) :- registration(P, "GMC", "active").
recently_sanctioned(P) :- sanction(P, Year), Year >= 2020.
trained(P, C) :- training(P, C, Score), required(C), Score >= 0.7.
missing_training(P) :- provider(P, _, _, _), required(C), not trained(P, C).
experienced(P) :- provider(P, _, Years, Rating), Years >= 5, Rating > 3.5.
eligible(P, Region) :- provider(P, Region, _, _), registered(P), experienced(P),
    not recently_sanctioned(P), not missing_training(P).
senior(P, Years + 1) :- provider(P, _, Years, _), eligible(P, _), Years * 2 > 20.
refused(P) :- provider(P, _, _, _), not eligible(P, _).
"""

CHILD = r"""
import json, random, resource, sys, time
from credential.datalog import evaluate_program, get_backend, parse_program

size, backend, program_text = int(sys.argv[1]), sys.argv[2], sys.argv[3]
rng = random.Random(20141)
providers = max(1, size // 5)
courses = ["basic_life_support", "safeguarding", "infection_control", "information_governance"]
facts = {
    "provider": [], "registration": [], "sanction": [], "training": [],
    "required": [(c,) for c in courses[:3]],
}
for i in range(providers):
    p = f"P{i:07d}"
    region = rng.choice(["north", "south", "east", "west"])
    facts["provider"].append((p, region, rng.randrange(0, 30), round(rng.uniform(3.0, 5.0), 2)))
    status = rng.choice(["active", "active", "active", "lapsed"])
    facts["registration"].append((p, rng.choice(["GMC", "GMC", "GMC", "NMC"]), status))
    if rng.random() < 0.2:
        facts["sanction"].append((p, rng.randrange(2010, 2026)))
    for c in rng.sample(courses, rng.choice([2, 3, 3, 4, 4])):
        facts["training"].append((p, c, round(rng.uniform(0.6, 1.0), 3)))
n_facts = sum(len(v) for v in facts.values())
program = parse_program(program_text)
get_backend(backend)  # import the backend's libraries and warm up before measuring
evaluate_program(parse_program("w(X) :- v(X, Y), not u(X), Y > 0.5."), {"v": [(1, 1.0)]}, backend=backend)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter()
model = evaluate_program(program, facts, backend=backend)
elapsed = time.perf_counter() - t
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({
    "facts": n_facts, "seconds": elapsed, "peak_mb": after / 1024, "extra_mb": (after - before) / 1024,
    "eligible": len(model.get("eligible")), "rows": sum(len(v) for v in model.relations.values()),
}))
"""


def run_one(size: int, backend: str, timeout: float) -> dict[str, object]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "engine") + os.pathsep + env.get("PYTHONPATH", "")
    try:
        proc = subprocess.run(
            [sys.executable, "-c", CHILD, str(size), backend, PROGRAM],
            capture_output=True,
            text=True,
            env=env,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timeout after {timeout:.0f} s"}
    if proc.returncode != 0:
        lines = proc.stderr.strip().splitlines()
        return {"error": lines[-1] if lines else f"exit {proc.returncode}"}
    result: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000, 300_000])
    parser.add_argument("--backends", nargs="+", default=["pydatalog", "duckdb"])
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per run")
    parser.add_argument("--json", action="store_true", help="print one JSON object per run instead")
    args = parser.parse_args()

    header = f"{'backend':<10} {'target':>8} {'facts':>8} {'seconds':>9} {'µs/fact':>8} {'peak MB':>8} "
    header += f"{'extra MB':>9} {'eligible':>9} {'rows':>8}"
    if not args.json:
        print(header)
        print("-" * len(header))
    for size in args.sizes:
        for backend in args.backends:
            r = run_one(size, backend, args.timeout)
            if args.json:
                print(json.dumps({"backend": backend, "size": size, **r}), flush=True)
            elif "error" in r:
                print(f"{backend:<10} {size:>8} {r['error']}", flush=True)
            else:
                facts, seconds = int(str(r["facts"])), float(str(r["seconds"]))
                print(
                    f"{backend:<10} {size:>8} {facts:>8} {seconds:>9.2f} {seconds / facts * 1e6:>8.1f} "
                    f"{float(str(r['peak_mb'])):>8.0f} {float(str(r['extra_mb'])):>9.0f} "
                    f"{r['eligible']!s:>9} {r['rows']!s:>8}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
