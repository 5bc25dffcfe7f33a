"""Proofs at pipeline scale: `evaluate --explain` against a plain run, side by side in one run.

For each size of seeded synthetic bundle (the reference policy's declarations, as
``bench_scale.py`` generates them), ``credential evaluate --format jsonl --output F`` runs in a
fresh process plain and with ``--explain`` (alternating, ``--repeat`` times each; the fastest of
each is kept), and the table shows:

* wall time plain and with ``--explain`` and their ratio (targets: at most 1.3 at 20,000
  providers, 1.5 at 100,000), and the same for CPU time (user + system; on a shared machine
  the steadier of the two);
* peak resident memory of each (``ru_maxrss`` of that process, from ``wait4``; target with
  ``--explain`` at 100,000: under 4 GiB);
* mean proof bytes per decision: the ``--explain`` file's bytes less the plain file's, over the
  decisions (target: at most 1 KB), and how they split between the records' proof parts, the
  node lines and the row lines (docs/proof-format.md).

    PYTHONPATH=engine python3 bench/bench_proofs.py                          # 200 2000 20000 100000
    PYTHONPATH=engine python3 bench/bench_proofs.py --sizes 200 2000 --repeat 3

``--save FILE`` (default ``bench/out/proofs.txt``) keeps the printed report; ``--data-dir``
keeps generated bundles for reuse (shared with ``bench_scale.py``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scale import AS_OF, POLICY, ROOT, generate

DEFAULT_SIZES = (200, 2000, 20000, 100000)
CHILD = "import sys; from credential.cli import main; sys.exit(main())"


def run_once(data: Path, out: Path, explain: bool, as_of: dt.date, backend: str) -> dict[str, float]:
    """One `credential evaluate` in a fresh process: wall and CPU seconds, peak MiB, output bytes."""
    argv = [sys.executable, "-c", CHILD, "evaluate", "--policy", str(POLICY), "--data", str(data)]
    argv += ["--as-of", as_of.isoformat(), "--backend", backend, "--format", "jsonl", "--output", str(out)]
    if explain:
        argv.append("--explain")
    env = dict(os.environ, PYTHONPATH=str(ROOT / "engine"))
    t = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    err = proc.stderr.read().decode() if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"evaluate failed ({proc.returncode}): {err[-2000:]}")
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "peak_mib": usage.ru_maxrss / 1024.0,
        "bytes": float(out.stat().st_size),
    }


def split(path: Path) -> dict[str, float]:
    """Bytes of a content-addressed file by kind: records' proof parts, node lines, row lines; and decisions."""
    out = {"proof": 0.0, "node": 0.0, "row": 0.0, "decisions": 0.0}
    marker = b', "proof": '
    with path.open("rb") as fh:
        for line in fh:
            if line.startswith(b'{"kind": "node"'):
                out["node"] += len(line)
            elif line.startswith(b'{"kind": "row"'):
                out["row"] += len(line)
            else:
                out["decisions"] += 1
                i = line.rfind(marker)
                out["proof"] += len(line) - i - len(marker) - 2 if i >= 0 else 0
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    ap.add_argument("--repeat", type=int, default=1, help="runs of each mode per size (the fastest is kept)")
    ap.add_argument("--obs", type=int, default=32, help="observations per provider")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--backend", default="auto", help="evaluate --backend (default auto, as a pipeline runs it)")
    ap.add_argument("--as-of", type=dt.date.fromisoformat, default=AS_OF)
    ap.add_argument("--data-dir", type=Path, default=None, help="keep (and reuse) generated bundles here")
    ap.add_argument("--save", type=Path, default=ROOT / "bench" / "out" / "proofs.txt")
    args = ap.parse_args(argv)

    report = io.StringIO()

    def say(msg: str = "") -> None:
        print(msg, flush=True)
        report.write(msg + "\n")

    sizes = sorted(set(args.sizes))
    say(f"# Proofs at pipeline scale, {dt.datetime.now().isoformat(timespec='seconds')}")
    say(
        f"host: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"load average at start {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    say(
        f"policy {POLICY.relative_to(ROOT)}, as of {args.as_of}, seed {args.seed}, ~{args.obs} observations per "
        f"provider; `credential evaluate --backend {args.backend} --format jsonl --output F` plain and with --explain, "
        f"alternating, fastest of {args.repeat} each"
    )
    folder = args.data_dir or Path(tempfile.gettempdir()) / "credential-scale-data"
    folder.mkdir(parents=True, exist_ok=True)
    paths = generate(sizes, folder, args.seed, args.obs, say)
    out_dir = Path(tempfile.mkdtemp(prefix="credential-proofs-out-"))
    rows: list[dict[str, Any]] = []
    try:
        for n in sizes:
            best: dict[str, dict[str, float]] = {}
            parts: dict[str, float] = {}
            for _ in range(args.repeat):
                for mode in ("plain", "explain"):
                    out = out_dir / f"{mode}.jsonl"
                    m = run_once(paths[n], out, mode == "explain", args.as_of, args.backend)
                    if mode == "explain":
                        parts = split(out)
                    out.unlink()
                    if mode not in best or m["wall"] < best[mode]["wall"]:
                        best[mode] = m
                    say(
                        f"  n={n} {mode}: {m['wall']:.1f}s wall, {m['cpu']:.1f}s cpu, {m['peak_mib']:.0f} MiB, "
                        f"{m['bytes'] / 2**20:.1f} MiB written; load {os.getloadavg()[0]:.2f}"
                    )
            rows.append({"n": n, **{f"{k}_{x}": v for k, m in best.items() for x, v in m.items()}, **parts})
    finally:
        for f in out_dir.iterdir():
            f.unlink()
        out_dir.rmdir()

    say(
        "\n| providers | decisions | plain s | explain s | ratio (wall) | plain cpu s | explain cpu s | ratio (cpu) "
        "| peak MiB plain → explain | proof bytes / decision | of which records · nodes · rows |"
    )
    say("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        d = r["decisions"] or 1.0
        per = (r["explain_bytes"] - r["plain_bytes"]) / d
        say(
            f"| {r['n']:,} | {int(d):,} | {r['plain_wall']:.1f} | {r['explain_wall']:.1f} | "
            f"{r['explain_wall'] / r['plain_wall']:.2f} | {r['plain_cpu']:.1f} | {r['explain_cpu']:.1f} | "
            f"{r['explain_cpu'] / r['plain_cpu']:.2f} | {r['plain_peak_mib']:.0f} → {r['explain_peak_mib']:.0f} | "
            f"{per:.0f} | {r['proof'] / d:.0f} · {r['node'] / d:.0f} · {r['row'] / d:.0f} |"
        )
    args.save.parent.mkdir(parents=True, exist_ok=True)
    args.save.write_text(report.getvalue(), encoding="utf-8")
    print(f"\nsaved {args.save}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
