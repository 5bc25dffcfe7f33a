#!/usr/bin/env python3
"""Time and peak memory of loading and validating synthetic bundles.

    PYTHONPATH=engine python bench/bench_validate.py            # 1e5 and 1e6 observations
    PYTHONPATH=engine python bench/bench_validate.py 100000      # chosen sizes
    PYTHONPATH=engine python bench/bench_validate.py --format parquet --derive

The bundle is generated and written first (not timed); then a fresh process times load
(read the files into raw string tables) and validate (pandera checks plus building the typed
bundle), and with --derive an as-of derivation of a typical set of requests (first call, which
builds per-measure caches, and a second date).  Peak memory is that process's maximum resident
set size (ru_maxrss), so it is the load and validation's own.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

OBS_PER_PROVIDER = 32


def _rss_mb() -> float:
    """This process's peak resident set size in MB (Linux: VmHWM, which a child does not
    inherit from its parent the way ru_maxrss is)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024 / (1024 if sys.platform == "darwin" else 1)


def measure(path: Path, derive: bool) -> dict[str, float]:
    """Load and validate the bundle at ``path`` (in this fresh process), timing each step."""
    from credential.data.asof import (
        ArrangementCount,
        AttributeValue,
        LatestMeasure,
        StatusActive,
        WindowAggregate,
    )
    from credential.data.asof import derive as derive_values
    from credential.data.load import load_bundle
    from credential.data.specs import synthetic_spec
    from credential.data.validate import validate_bundle

    spec = synthetic_spec()
    out = {"baseline_mb": _rss_mb()}
    t0, c0 = time.perf_counter(), time.process_time()
    raw = load_bundle(path)
    out["load_s"], out["load_cpu_s"] = time.perf_counter() - t0, time.process_time() - c0
    t0, c0 = time.perf_counter(), time.process_time()
    result = validate_bundle(raw, spec)
    out["validate_s"], out["validate_cpu_s"] = time.perf_counter() - t0, time.process_time() - c0
    assert result.ok, [d.headline() for d in result.diagnostics[:5]]
    out["peak_mb"] = _rss_mb()
    if derive and result.bundle is not None:
        reqs = [
            AttributeValue("sector"),
            AttributeValue("region"),
            *(LatestMeasure(m) for m in ("cqc_overall", "cqc_safe", "cqc_well_led", "surplus_pct")),
            WindowAggregate("mean", "ae_4h", 12),
            WindowAggregate("mean", "rtt_18w", 12),
            WindowAggregate("count", "ae_4h", 12),
            StatusActive("special_measures_quality"),
            StatusActive("special_measures_finance"),
            ArrangementCount("lead"),
            ArrangementCount("lead", None, 24),
        ]
        t0 = time.perf_counter()
        derive_values(result.bundle, reqs, dt.date(2020, 3, 31))
        out["derive_first_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        derive_values(result.bundle, reqs, dt.date(2021, 3, 31))
        out["derive_again_s"] = time.perf_counter() - t0
        out["peak_with_derive_mb"] = _rss_mb()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sizes", nargs="*", type=int, default=[100_000, 1_000_000], help="observations per bundle")
    ap.add_argument("--format", choices=["csv", "parquet", "json"], default="csv")
    ap.add_argument("--derive", action="store_true", help="also time an as-of derivation")
    ap.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure is not None:
        print(json.dumps(measure(args.measure, args.derive)))
        return
    from credential.data.specs import synthetic_spec
    from credential.data.synthetic import generate_bundle, write_bundle

    print(f"format={args.format}, {OBS_PER_PROVIDER} observations per provider, each size in a fresh process")
    header = f"{'observations':>12} {'providers':>9} {'load s':>7} {'validate s':>10} {'total s':>8} {'cpu s':>6}"
    header += f" {'peak MB':>8}"
    if args.derive:
        header += f" {'derive s':>9} {'again s':>8} {'peak MB':>8}"
    print(header)
    for n in args.sizes:
        n_providers = max(2, n // OBS_PER_PROVIDER)
        with tempfile.TemporaryDirectory(prefix="bench-bundle-") as tmp:
            tables = generate_bundle(n_providers, seed=1, spec=synthetic_spec(), obs_per_provider=OBS_PER_PROVIDER)
            n_rows = len(tables["observations"])
            path = write_bundle(tables, Path(tmp), args.format)
            del tables
            cmd = [sys.executable, __file__, "--measure", str(path), "--format", args.format]
            if args.derive:
                cmd.append("--derive")
            proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        line = (
            f"{n_rows:>12,} {n_providers:>9,} {r['load_s']:>7.2f} {r['validate_s']:>10.2f} "
            f"{r['load_s'] + r['validate_s']:>8.2f} {r['load_cpu_s'] + r['validate_cpu_s']:>6.2f} "
            f"{r['peak_mb']:>8.0f}"
        )
        if args.derive:
            line += f" {r['derive_first_s']:>9.2f} {r['derive_again_s']:>8.2f} {r['peak_with_derive_mb']:>8.0f}"
        print(line, flush=True)
    print(
        "peak MB: the process's maximum resident set (Python, pandas, pyarrow and pandera included; "
        "about 130 MB before any data)"
    )


if __name__ == "__main__":
    main()
