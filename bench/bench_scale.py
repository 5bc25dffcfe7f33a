"""Scale benchmark: the engine stage by stage, per backend, against two hand-written peers.

For seeded synthetic bundles (``bench/policy/dalton_2014_v1.cred``'s declarations, ~32
observations per provider, generated once into a folder) it runs, each in a fresh subprocess:

* the engine, per backend (the first of ``--backends`` is the one the summary reports; ``auto`` is
  the default of every command), plain and with ``--explain``, timing every stage and reading the
  peak resident memory (``ru_maxrss``, a high-water mark) after each:
  ``import`` (Python modules), ``compile`` (``load_checked`` + ``compile_policy``),
  ``load`` (``load_bundle``: reading and digesting the files), ``validate`` (``validate_bundle``),
  ``facts`` (``build_facts``), ``evaluate`` (Datalog: ``evaluate_program``, with ``auto``'s choice),
  ``decisions`` (what ``engine.run`` does after that: the decision frame, outcomes and
  missing-value lists) and ``write`` (``render_chunks(result, FORMAT)`` streamed to a file by
  ``write_atomic``; with ``--explain`` the proofs are built here, block by block, while writing),
  i.e. the path of ``credential evaluate --format FORMAT --output F`` (plain runs write CSV by
  default, like the peers, ``--plain-format jsonl`` for JSON lines; ``--explain`` runs JSON lines);
  ``--path records`` measures the API's record path instead (``records_for`` + ``to_jsonl``);
* the peers, the same policy written by hand without the engine, both digesting and validating
  the bundle first: ``bench/pandas_baseline.py`` (``import``, ``load+validate``, ``derive``,
  ``decide``, ``write``) and ``bench/duckdb_baseline.py``, one DuckDB SQL query (``import``,
  ``load+validate``, ``query``, ``write``); ``tests/bench/test_pandas_baseline.py`` checks that
  both decide what the engine decides.

It prints one table per backend and per peer, a summary (default backend plain and
``--explain``, each peer, wall time and peak memory, ratios, and the growth exponent: the
least-squares slope of log(time) on log(providers) from 2,000 up), then the detailed ratios:
engine/peer at each size, explain/plain (with its floor: the plain run plus the time to write the
proofs' extra bytes alone), growth between sizes, peak memory, and where pyDatalog and DuckDB
cross over.  pyDatalog is skipped above ``--pydatalog-max`` providers (it takes very long there),
and any run longer than ``--timeout`` seconds is stopped and reported as capped, with the stages
it finished.  The 1-minute load average is recorded next to every run.

    PYTHONPATH=engine python3 bench/bench_scale.py                       # 200 2000 20000 100000
    PYTHONPATH=engine python3 bench/bench_scale.py --sizes 200 2000 --backends auto pydatalog
    PYTHONPATH=engine python3 bench/bench_scale.py --sizes 100 200 500 1000 2000 5000 \\
        --backends pydatalog duckdb --no-explain --no-pandas --pydatalog-max 5000   # crossover sweep

``--save FILE`` (default ``bench/out/scale.txt``) keeps the printed report, and ``FILE`` with
``.json`` the raw measurements.  ``--data-dir`` keeps generated bundles for reuse.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import itertools
import json
import math
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
POLICY = ROOT / "bench" / "policy" / "dalton_2014_v1.cred"  # what the hand-written peers implement
DEFAULT_SIZES = (200, 2000, 20000, 100000)
AS_OF = dt.date(2026, 11, 22)

ENGINE_STAGES = ("import", "compile", "load", "validate", "facts", "evaluate", "decisions", "write")
PANDAS_STAGES = ("import", "load+validate", "derive", "decide", "write")
DUCKDB_STAGES = ("import", "load+validate", "query", "write")
PEERS = {
    "pandas": ("bench/pandas_baseline.py", PANDAS_STAGES),
    "duckdb_sql": ("bench/duckdb_baseline.py", DUCKDB_STAGES),
}


# ============================================================================ child processes


def _peak_mib() -> float:
    """Peak resident memory of this process so far, MiB: ``ru_maxrss`` (Linux: KiB).

    ``ru_maxrss`` survives ``exec``, so a child would inherit its parent's high-water mark:
    the parent therefore stays small (stdlib only; bundles are generated in a subprocess), and
    where ``/proc`` has it the kernel's per-image ``VmHWM`` is read instead (the same number then).
    """
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class _Stages:
    """Prints one JSON line per finished stage (flushed, so a capped run keeps what it finished)."""

    def __init__(self, start: float) -> None:
        self.last = start

    def done(self, stage: str, **extra: Any) -> None:
        now = time.perf_counter()
        print(json.dumps({"stage": stage, "seconds": now - self.last, "peak_mib": _peak_mib(), **extra}), flush=True)
        self.last = time.perf_counter()


def child_engine(
    policy: str, data: str, as_of: str, backend: str, explain: bool, out: str, path: str, fmt: str = "jsonl"
) -> None:
    """One engine run, stage by stage.

    ``path="cli"`` does what ``credential evaluate --format jsonl --output F`` does after loading:
    ``engine.run`` (facts, Datalog, then the decision frame) and ``output.render_chunks(result,
    "jsonl")`` streamed to a file by ``write_atomic`` (with ``--explain`` the proofs are built
    there, block by block, so they count in ``write``).  ``path="records"`` takes the
    API's record path instead: ``records_for`` (one pydantic record per decision) and ``to_jsonl``.
    """
    stages = _Stages(time.perf_counter())
    import credential.engine as engine
    import credential.evaluation.evaluate as evaluation
    from credential.cli.common import write_atomic
    from credential.compile import compile_policy
    from credential.data.load import load_bundle
    from credential.data.validate import validate_bundle
    from credential.evaluation.decisions import sort_records
    from credential.output.records import records_for
    from credential.output.render import render_chunks, to_jsonl
    from credential.policy import load_checked

    stages.done("import")
    checked, _ = load_checked(policy)
    assert checked is not None, "the policy has errors"
    compiled = compile_policy(checked)
    stages.done("compile")
    raw = load_bundle(Path(data))
    stages.done("load")
    result = validate_bundle(raw, checked.bundle_spec())
    assert result.bundle is not None, "the bundle does not validate"
    stages.done("validate")
    inputs = evaluation.Inputs(checked, compiled, result.bundle, list(result.diagnostics))
    day = dt.date.fromisoformat(as_of)

    # The engine's own functions, wrapped to time them as the engine calls them (whatever `auto`
    # does between facts and Datalog counts as evaluate), and to note the backend actually used.
    seen: dict[str, Any] = {"evaluate_inputs_s": 0.0}

    def emit(stage: str, seconds: float, **extra: Any) -> None:
        print(json.dumps({"stage": stage, "seconds": seconds, "peak_mib": _peak_mib(), **extra}), flush=True)

    real_facts, real_eval, real_inputs = evaluation.build_facts, evaluation.evaluate_program, engine.evaluate_inputs

    def build_facts(*a: Any, **k: Any) -> Any:
        t = time.perf_counter()
        fb = real_facts(*a, **k)
        seen["facts_s"] = time.perf_counter() - t
        seen["n_facts"] = sum(len(rows) for rows in fb.relations.values())
        emit("facts", seen["facts_s"], n_facts=seen["n_facts"])
        return fb

    def evaluate_program(*a: Any, **k: Any) -> Any:
        seen["backend_used"] = k.get("backend", a[2] if len(a) > 2 else "pydatalog")
        return real_eval(*a, **k)

    def evaluate_inputs(*a: Any, **k: Any) -> Any:
        t = time.perf_counter()
        ev = real_inputs(*a, **k)
        seconds = time.perf_counter() - t
        seen["evaluate_inputs_s"] += seconds
        emit(
            "evaluate",
            seconds - seen.get("facts_s", 0.0),
            backend_used=str(seen.get("backend_used", ev.backend)),
            ev_backend=ev.backend,
        )
        return ev

    evaluation.build_facts, evaluation.evaluate_program = build_facts, evaluate_program  # type: ignore[assignment]
    engine.evaluate_inputs = evaluate_inputs  # type: ignore[assignment]
    engine.load_inputs = lambda *a, **k: inputs  # type: ignore[assignment]  # loaded and timed above

    t = time.perf_counter()
    if path == "cli":
        run = engine.run(checked, Path(data), [day], explain=explain, backend=backend)
        n_records = len(run.frame)
    else:
        ev = engine.evaluate_inputs(inputs, day, backend=backend)
        records = sort_records(records_for(ev, explain=explain))
        n_records = len(records)
    total = time.perf_counter() - t
    emit("decisions", total - seen["evaluate_inputs_s"], records=n_records)
    stages.last = time.perf_counter()
    if path == "cli":  # as `credential evaluate --output F` writes: streamed, proofs built block by block
        write_atomic(out, render_chunks(run, fmt))
    else:
        Path(out).write_text(to_jsonl(records), encoding="utf-8")
    stages.done("write", bytes=Path(out).stat().st_size)


def child_pandas(data: str, as_of: str, out: str) -> None:
    """The pandas peer, stage by stage: read, digest and validate; derive; decide; write."""
    stages = _Stages(time.perf_counter())
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import pandas_baseline as pb

    stages.done("import")
    day = dt.date.fromisoformat(as_of)
    tables, _digests = pb.load_valid(Path(data))
    stages.done("load+validate")
    values = pb.provider_values(tables, day)
    stages.done("derive")
    result = pb.outcomes(values, day)
    stages.done("decide", records=len(result))
    result.to_csv(out, index=False, lineterminator="\n")
    stages.done("write", bytes=Path(out).stat().st_size)


def child_duckdb(data: str, as_of: str, out: str) -> None:
    """The DuckDB SQL peer, stage by stage: load, digest and validate; the policy's query; write."""
    stages = _Stages(time.perf_counter())
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import duckdb_baseline as db

    stages.done("import")
    day = dt.date.fromisoformat(as_of)
    con = db.connect()
    db.digests(Path(data))
    db._load(con, Path(data))
    problems = db.validate(con)
    assert not problems, problems
    stages.done("load+validate")
    result = db.decide(con, day)
    stages.done("query", records=len(result))
    result.to_csv(out, index=False, lineterminator="\n")
    stages.done("write", bytes=Path(out).stat().st_size)


# ============================================================================ the parent


@dataclass
class Run:
    kind: str  # "engine" or "peer"
    size: int
    backend: str  # the peer's name for a peer
    explain: bool
    stages: dict[str, float] = field(default_factory=dict)
    peaks: dict[str, float] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    wall: float = 0.0  # the whole subprocess, interpreter start included
    load_before: float = 0.0
    load_after: float = 0.0
    capped: bool = False
    error: str | None = None

    @property
    def total(self) -> float:
        """Sum of the stages (imports included, interpreter start excluded)."""
        return sum(self.stages.values())

    @property
    def peak(self) -> float:
        """The child's own high-water mark (or, if it was stopped, the most the parent saw)."""
        return max([*self.peaks.values(), self.extra.get("sampled_peak_mib", 0.0)])

    @property
    def complete(self) -> bool:
        return not self.capped and self.error is None


def _load1() -> float:
    return os.getloadavg()[0]


def _rss_mib(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return 0.0


def measure(cmd: list[str], run: Run, timeout: float, mem_cap_mib: float) -> Run:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "engine"))
    run.load_before = _load1()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=ROOT)
        # Wait, watching the child's resident memory: past the cap (or the timeout) it is stopped,
        # so one configuration cannot exhaust a shared machine's memory.
        while proc.poll() is None:
            rss = _rss_mib(proc.pid)
            run.extra["sampled_peak_mib"] = max(run.extra.get("sampled_peak_mib", 0.0), rss)
            if rss > mem_cap_mib or time.perf_counter() - t > timeout:
                proc.kill()  # our own child, by its handle
                proc.wait()
                run.capped = True
                run.extra["cap"] = (
                    f"memory > {mem_cap_mib / 1024:g} GiB" if rss > mem_cap_mib else (f"time > {timeout:.0f}s")
                )
                break
            time.sleep(0.2)
        run.wall = time.perf_counter() - t
        run.load_after = _load1()
        out.seek(0)
        err.seek(0)
        for line in out.read().splitlines():
            if not line.startswith("{"):
                continue
            rec = json.loads(line)
            stage = rec.pop("stage")
            run.stages[stage] = rec.pop("seconds")
            run.peaks[stage] = rec.pop("peak_mib")
            run.extra.update({k: v for k, v in rec.items() if v is not None})
        if proc.returncode not in (0, None) and not run.capped:
            tail = err.read().strip().splitlines()[-3:]
            run.error = " | ".join(tail) or f"exit {proc.returncode}"
    return run


def write_seconds(n_bytes: int, folder: Path) -> float:
    """Seconds to write ``n_bytes`` to a new file in ``folder`` (1 MiB blocks, closed, then deleted).

    The cost of the bytes alone, as the engine writes them (to the page cache, no fsync): an
    ``--explain`` run writes its proofs' bytes on top of a plain run's, so the plain run plus this
    for the difference is the fastest any proof builder could be with this record format.
    """
    block = b"x" * (1 << 20)
    path = folder / "write_floor.bin"
    t = time.perf_counter()
    with open(path, "wb") as f:
        left = n_bytes
        while left > 0:
            f.write(block if left >= len(block) else block[:left])
            left -= len(block)
    seconds = time.perf_counter() - t
    path.unlink()
    return seconds


def child_generate(n: str, seed: str, obs: str, path: str) -> None:
    from credential.data.synthetic import generate_bundle, write_bundle
    from credential.policy import load_policy

    spec = load_policy(POLICY).bundle_spec()
    write_bundle(generate_bundle(int(n), seed=int(seed), spec=spec, obs_per_provider=int(obs)), Path(path), "csv")


def generate(sizes: list[int], folder: Path, seed: int, obs: int, say: Any) -> dict[int, Path]:
    """Each bundle once (in a subprocess, so this process stays small), reused when present."""
    paths: dict[int, Path] = {}
    env = dict(os.environ, PYTHONPATH=str(ROOT / "engine"))
    for n in sizes:
        path = folder / f"dalton_n{n}_seed{seed}_obs{obs}"
        if not (path / "providers.csv").is_file():
            t = time.perf_counter()
            tmp = folder / (path.name + ".partial")
            shutil.rmtree(tmp, ignore_errors=True)
            subprocess.run(
                [sys.executable, __file__, "_generate", str(n), str(seed), str(obs), str(tmp)],
                check=True,
                env=env,
                cwd=ROOT,
            )
            tmp.rename(path)
            say(f"  generated {n} providers in {time.perf_counter() - t:.1f}s -> {path}")
        rows = sum(1 for _ in (path / "observations.csv").open()) - 1
        say(f"  bundle n={n}: {rows} observations, {sum(f.stat().st_size for f in path.iterdir()) / 2**20:.0f} MiB")
        paths[n] = path
    return paths


# ---------------------------------------------------------------------------- report


def _fmt_s(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:.3f}" if x < 1 else f"{x:.2f}" if x < 100 else f"{x:.0f}"


def _cell(r: Run, stage: str) -> str:
    return _fmt_s(r.stages[stage]) if stage in r.stages else ("cap" if r.capped else "-")


def engine_table(runs: list[Run], backend: str) -> str:
    heads = ["providers", "mode", "facts", *ENGINE_STAGES, "total s", "wall s", "peak MiB", "load1"]
    lines = ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
    for r in runs:
        if r.backend != backend:
            continue
        mode = "explain" if r.explain else "plain"
        used = r.extra.get("backend_used")
        if backend == "auto" and used:
            mode += f" (→{used})"
        if r.error:
            lines.append(f"| {r.size} | {mode} | error: {r.error} |")
            continue
        stages = [_cell(r, s) for s in ENGINE_STAGES]
        total = _fmt_s(r.total) + (f" (capped: {r.extra.get('cap')} after {r.wall:.0f}s)" if r.capped else "")
        lines.append(
            "| "
            + " | ".join(
                [
                    f"{r.size:,}",
                    mode,
                    f"{r.extra.get('n_facts', '-'):,}" if isinstance(r.extra.get("n_facts"), int) else "-",
                    *stages,
                    total,
                    _fmt_s(r.wall),
                    f"{r.peak:,.0f}",
                    f"{r.load_before:.1f}/{r.load_after:.1f}",
                ]
            )
            + " |"
        )
    return "\n".join(lines)


def peer_table(runs: list[Run], peer: str) -> str:
    stages = PEERS[peer][1]
    heads = ["providers", *stages, "total s", "wall s", "peak MiB", "load1"]
    lines = ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
    for r in runs:
        if r.kind != "peer" or r.backend != peer:
            continue
        if r.error:
            lines.append(f"| {r.size} | error: {r.error} |")
            continue
        lines.append(
            "| "
            + " | ".join(
                [
                    f"{r.size:,}",
                    *[_cell(r, s) for s in stages],
                    _fmt_s(r.total),
                    _fmt_s(r.wall),
                    f"{r.peak:,.0f}",
                    f"{r.load_before:.1f}/{r.load_after:.1f}",
                ]
            )
            + " |"
        )
    return "\n".join(lines)


def growth_fit(points: list[tuple[int, float]]) -> float:
    """The least-squares slope of log(time) against log(size): the growth exponent (1 = linear)."""
    xs, ys = [math.log(n) for n, _ in points], [math.log(t) for _, t in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)


def summary(runs: list[Run], sizes: list[int], backend: str, peers: list[str]) -> str:
    """The headline table: the default backend plain and --explain, each peer, wall time and peak
    memory, and the plain run's ratio to each peer."""
    heads = ["providers", f"{backend} plain s", "MiB", f"{backend} --explain s", "MiB"]
    for peer in peers:
        heads += [f"{peer} s", "MiB"]
    heads += [f"plain / {peer}" for peer in peers]
    lines = ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
    for n in sizes:
        plain, explained = _find(runs, n, backend), _find(runs, n, backend, True)
        cells = [f"{n:,}"]
        for r in (plain, explained):
            cells += [_fmt_s(r.total), f"{r.peak:,.0f}"] if r else ["-", "-"]
        found = [_find(runs, n, peer) for peer in peers]
        for r in found:
            cells += [_fmt_s(r.total), f"{r.peak:,.0f}"] if r else ["-", "-"]
        for r in found:
            cells.append(f"{plain.total / r.total:.2f}×" if r and plain else "-")
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    for b in [backend, *peers]:
        pts = [(n, r.total) for n in sizes if n >= 2000 and (r := _find(runs, n, b)) is not None]
        if len(pts) >= 2:
            lines.append(
                f"- growth exponent of {b} (plain), least-squares fit of log(time) on log(providers) over "
                f"{', '.join(f'{n:,}' for n, _ in pts)}: {growth_fit(pts):.2f}"
            )
    return "\n".join(lines)


def _find(runs: list[Run], size: int, backend: str, explain: bool = False) -> Run | None:
    for r in runs:
        if r.size == size and r.backend == backend and r.explain == explain and r.complete:
            return r
    return None


def _dominant(r: Run) -> str:
    body = {k: v for k, v in r.stages.items() if k != "import"}
    if not body:
        return "-"
    stage = max(body, key=lambda k: body[k])
    return f"{stage} {100 * body[stage] / max(r.total, 1e-9):.0f}%"


def ratios(runs: list[Run], sizes: list[int], backends: list[str]) -> str:
    out: list[str] = []
    engines = list(backends)
    # vs the peers
    out.append("### Engine / peers (end to end; `total` = sum of stages incl. imports, `wall` = whole process)\n")
    out.append("| providers | backend | peer | engine total s | peer total s | ratio total | ratio wall |")
    out.append("|---|---|---|---|---|---|---|")
    for n in sizes:
        for peer in PEERS:
            pd_run = _find(runs, n, peer)
            for b in engines:
                e = _find(runs, n, b)
                if e is None or pd_run is None:
                    continue
                out.append(
                    f"| {n:,} | {b} | {peer} | {_fmt_s(e.total)} | {_fmt_s(pd_run.total)} | "
                    f"{e.total / pd_run.total:.2f}× | {e.wall / pd_run.wall:.2f}× |"
                )
    # explain / plain
    out.append("\n### --explain / plain (same backend, end to end)\n")
    out.append(
        "| providers | backend | plain s | explain s | ratio | decisions stage plain → explain "
        "| output MB plain → explain | floor: plain + writing the extra bytes |"
    )
    out.append("|---|---|---|---|---|---|---|---|")
    for n in sizes:
        for b in engines:
            p, x = _find(runs, n, b), _find(runs, n, b, True)
            if p is None or x is None:
                continue
            out.append(
                f"| {n:,} | {b} | {_fmt_s(p.total)} | {_fmt_s(x.total)} | {x.total / p.total:.2f}× | "
                f"{_fmt_s(p.stages.get('decisions'))} → {_fmt_s(x.stages.get('decisions'))} | "
                f"{p.extra.get('bytes', 0) / 1e6:,.0f} → {x.extra.get('bytes', 0) / 1e6:,.0f} | "
                + (
                    f"{_fmt_s(p.total + x.extra['floor_write_s'])} s = "
                    f"{(p.total + x.extra['floor_write_s']) / p.total:.2f}× |"
                    if "floor_write_s" in x.extra
                    else "- |"
                )
            )
    # growth
    out.append("\n### Growth exponent log(t(100k)/t(2k)) / log(50) (plain runs; 1.0 = linear)\n")
    out.append("| backend | t(2,000) s | t(100,000) s | exponent (total) | exponent (excl. imports) |")
    out.append("|---|---|---|---|---|")
    for b in [*engines, *PEERS]:
        a, z = _find(runs, 2000, b), _find(runs, 100000, b)
        if a is None or z is None:
            continue
        ai, zi = a.total - a.stages.get("import", 0), z.total - z.stages.get("import", 0)
        out.append(
            f"| {b} | {_fmt_s(a.total)} | {_fmt_s(z.total)} | "
            f"{math.log(z.total / a.total) / math.log(50):.2f} | {math.log(zi / ai) / math.log(50):.2f} |"
        )
    # pairwise exponents for every backend with >= 2 sizes
    out.append("\n### Growth exponent between consecutive sizes (plain, total)\n")
    for b in [*engines, *PEERS]:
        pts = [(n, r.total) for n in sizes if (r := _find(runs, n, b)) is not None]
        if len(pts) >= 2:
            steps = ", ".join(
                f"{a:,}→{c:,}: {math.log(tc / ta) / math.log(c / a):.2f}"
                for (a, ta), (c, tc) in itertools.pairwise(pts)
            )
            out.append(f"- {b}: {steps}")
    # memory
    out.append("\n### Peak memory (ru_maxrss, MiB)\n")
    out.append("| providers | " + " | ".join(f"{b} plain | {b} explain" for b in engines) + " | pandas | duckdb_sql |")
    out.append("|---|" + "---|---|" * len(engines) + "---|---|")
    for n in sizes:
        cells = []
        for b in engines:
            for x in (False, True):
                r = _find(runs, n, b, x)
                cells.append(f"{r.peak:,.0f}" if r else "-")
        for peer in PEERS:
            p = _find(runs, n, peer)
            cells.append(f"{p.peak:,.0f}" if p else "-")
        out.append(f"| {n:,} | " + " | ".join(cells) + " |")
    # dominant stage
    out.append("\n### Dominant stage (share of the run, imports excluded from the choice)\n")
    for b in engines:
        for x in (False, True):
            items = [f"{n:,}: {_dominant(r)}" for n in sizes if (r := _find(runs, n, b, x)) is not None]
            if items:
                out.append(f"- {b} {'explain' if x else 'plain'}: " + "; ".join(items))
    # crossover
    if "pydatalog" in engines and "duckdb" in engines:
        out.append("\n### pyDatalog vs DuckDB (plain runs)\n")
        out.append(
            "| providers | facts | Datalog stage pyDatalog s | Datalog stage DuckDB s | "
            "end to end pyDatalog s | end to end DuckDB s | faster (Datalog) | faster (end to end) |"
        )
        out.append("|---|---|---|---|---|---|---|---|")
        for n in sizes:
            p, d = _find(runs, n, "pydatalog"), _find(runs, n, "duckdb")
            if p is None or d is None:
                continue
            pe, de = p.stages["evaluate"], d.stages["evaluate"]
            out.append(
                f"| {n:,} | {p.extra.get('n_facts', 0):,} | {_fmt_s(pe)} | {_fmt_s(de)} | "
                f"{_fmt_s(p.total)} | {_fmt_s(d.total)} | {'pydatalog' if pe < de else 'duckdb'} | "
                f"{'pydatalog' if p.total < d.total else 'duckdb'} |"
            )
    return "\n".join(out)


# ---------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_engine":
        policy, data, as_of, backend, explain, out, path = argv[1:8]
        child_engine(policy, data, as_of, backend, explain == "1", out, path, *argv[8:9])
        return
    if argv and argv[0] == "_pandas":
        child_pandas(*argv[1:4])
        return
    if argv and argv[0] == "_duckdb_sql":
        child_duckdb(*argv[1:4])
        return
    if argv and argv[0] == "_generate":
        child_generate(*argv[1:5])
        return

    ap = argparse.ArgumentParser(description="Scale benchmark: engine stages per backend vs hand-written peers.")
    ap.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    ap.add_argument("--backends", nargs="+", default=["auto", "pydatalog", "duckdb"])
    ap.add_argument("--pydatalog-max", type=int, default=2000, help="skip pyDatalog above this many providers")
    ap.add_argument("--timeout", type=float, default=900.0, help="stop a run after this many seconds (capped)")
    ap.add_argument(
        "--mem-cap", type=float, default=16.0, help="stop a run whose resident memory passes this many GiB (capped)"
    )
    ap.add_argument("--repeat", type=int, default=1, help="run each configuration N times, keep the fastest")
    ap.add_argument("--explain-repeat", type=int, default=None, help="repeats of --explain runs (default: --repeat)")
    ap.add_argument("--explain-max", type=int, default=None, help="skip --explain runs above this many providers")
    ap.add_argument(
        "--path",
        choices=["cli", "records"],
        default="cli",
        help="cli: what `credential evaluate --format jsonl` runs (decision frame, then JSON lines "
        "streamed to the file; with --explain proofs built while writing); records: the API's record "
        "path (records_for + to_jsonl)",
    )
    ap.add_argument("--obs", type=int, default=32, help="observations per provider")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--as-of", type=dt.date.fromisoformat, default=AS_OF)
    ap.add_argument("--modes", nargs="+", choices=["plain", "explain"], default=["plain", "explain"])
    ap.add_argument("--no-explain", action="store_true", help="plain runs only (same as --modes plain)")
    ap.add_argument("--no-pandas", action="store_true", help="skip the peers (same as --peers with no name)")
    ap.add_argument("--peers", nargs="*", choices=list(PEERS), default=list(PEERS), help="hand-written peers to run")
    ap.add_argument(
        "--plain-format",
        choices=["csv", "jsonl"],
        default="csv",
        help="output of plain runs (csv: one row per decision, as the peers write; --explain runs write jsonl)",
    )
    ap.add_argument("--data-dir", type=Path, default=None, help="keep (and reuse) generated bundles here")
    ap.add_argument("--save", type=Path, default=ROOT / "bench" / "out" / "scale.txt")
    args = ap.parse_args(argv)
    mem_cap = args.mem_cap * 1024.0

    report = io.StringIO()

    def say(msg: str = "") -> None:
        print(msg, flush=True)
        report.write(msg + "\n")

    sizes = sorted(set(args.sizes))
    peers = [] if args.no_pandas else list(args.peers)
    say(f"# Scale benchmark, {dt.datetime.now().isoformat(timespec='seconds')}")
    say(
        f"host: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"load average at start {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    say(
        f"policy {POLICY.relative_to(ROOT)}, as of {args.as_of}, seed {args.seed}, ~{args.obs} observations "
        f"per provider; sizes {sizes}; backends {args.backends}; peers {peers}; {args.path} path, plain runs "
        f"write {args.plain_format}, --explain runs jsonl; caps per run "
        f"{args.timeout:.0f}s and {args.mem_cap:g} GiB resident; fastest of {args.repeat} run(s) each"
    )
    own_tmp = args.data_dir is None
    folder = Path(tempfile.mkdtemp(prefix="credential-scale-")) if own_tmp else args.data_dir
    folder.mkdir(parents=True, exist_ok=True)
    runs: list[Run] = []
    skipped: list[str] = []
    try:
        paths = generate(sizes, folder, args.seed, args.obs, say)
        out_dir = Path(tempfile.mkdtemp(prefix="credential-scale-out-"))
        for n in sizes:
            data = paths[n]
            for peer in peers:
                cmd = [
                    sys.executable,
                    __file__,
                    f"_{peer}",
                    str(data),
                    args.as_of.isoformat(),
                    str(out_dir / f"{peer}_{n}.csv"),
                ]
                tries = [measure(cmd, Run("peer", n, peer, False), args.timeout, mem_cap) for _ in range(args.repeat)]
                r = min(tries, key=lambda t: (not t.complete, t.total))
                if args.repeat > 1:
                    r.extra["repeats"] = [round(t.total, 3) for t in tries]
                runs.append(r)
                say(
                    f"  n={n:>7,} {peer:<17} total {_fmt_s(r.total):>7}s wall {_fmt_s(r.wall):>7}s "
                    f"peak {r.peak:7,.0f} MiB load {r.load_before:.1f}" + (f" ERROR {r.error}" if r.error else "")
                )
            for b in args.backends:
                if b == "pydatalog" and n > args.pydatalog_max:
                    skipped.append(f"pydatalog at {n:,} providers (above --pydatalog-max {args.pydatalog_max:,})")
                    continue
                modes = ["plain"] if args.no_explain else args.modes
                for explain in [m == "explain" for m in ("plain", "explain") if m in modes]:
                    if explain and args.explain_max is not None and n > args.explain_max:
                        skipped.append(f"{b} --explain at {n:,} providers (above --explain-max {args.explain_max:,})")
                        continue
                    repeat = args.repeat if not explain or args.explain_repeat is None else args.explain_repeat
                    cmd = [
                        sys.executable,
                        __file__,
                        "_engine",
                        str(POLICY),
                        str(data),
                        args.as_of.isoformat(),
                        b,
                        "1" if explain else "0",
                        str(out_dir / f"{b}_{n}_{int(explain)}.{'jsonl' if explain else args.plain_format}"),
                        args.path,
                        "jsonl" if explain else args.plain_format,
                    ]
                    tries = [measure(cmd, Run("engine", n, b, explain), args.timeout, mem_cap) for _ in range(repeat)]
                    done = [t for t in tries if t.complete]
                    r = min(done, key=lambda t: t.total) if done else tries[-1]
                    if repeat > 1:
                        r.extra["repeats"] = [round(t.total, 3) for t in tries]
                    runs.append(r)
                    note = f" CAPPED ({r.extra.get('cap')})" if r.capped else (f" ERROR {r.error}" if r.error else "")
                    say(
                        f"  n={n:>7,} {b:<9} {'explain' if explain else 'plain  '} total {_fmt_s(r.total):>7}s "
                        f"wall {_fmt_s(r.wall):>7}s peak {r.peak:7,.0f} MiB load {r.load_before:.1f}{note}"
                    )
                    if r.error and explain is False:
                        break
                    plain = _find(runs, n, b)
                    if explain and r.complete and plain is not None and "bytes" in r.extra and "bytes" in plain.extra:
                        extra_bytes = max(0, int(r.extra["bytes"]) - int(plain.extra["bytes"]))
                        r.extra["floor_write_s"] = write_seconds(extra_bytes, out_dir)
                        say(
                            f"    writing the proofs' {extra_bytes / 1e6:,.0f} MB alone takes "
                            f"{_fmt_s(r.extra['floor_write_s'])}s: the floor is "
                            f"{(plain.total + r.extra['floor_write_s']) / plain.total:.2f}× the plain run"
                        )
            for f in out_dir.iterdir():  # outputs are not kept: a 100,000-provider run writes GiBs with proofs
                f.unlink()
        shutil.rmtree(out_dir, ignore_errors=True)
    finally:
        if own_tmp:
            shutil.rmtree(folder, ignore_errors=True)

    say("")
    for b in args.backends:
        if any(r.backend == b for r in runs):
            say(f"## {b}\n")
            say(engine_table(runs, b))
            say("")
    for peer in peers:
        say(f"## {peer} peer ({PEERS[peer][0]})\n")
        say(peer_table(runs, peer))
        say("")
    if args.backends:
        say("## Summary\n")
        say(summary(runs, sizes, args.backends[0], peers))
        say("")
    say("## Ratios\n")
    say(ratios(runs, sizes, [b for b in args.backends if any(r.backend == b for r in runs)]))
    say("")
    if skipped:
        say("Skipped: " + "; ".join(skipped) + ".")
    capped = [r for r in runs if r.capped]
    if capped:
        say(
            "Capped (stopped): "
            + "; ".join(
                f"{r.backend} {'explain' if r.explain else 'plain'} n={r.size:,}: {r.extra.get('cap')} after "
                f"{r.wall:.0f}s, peak seen {r.extra.get('sampled_peak_mib', 0):,.0f} MiB "
                f"(finished: {', '.join(r.stages) or 'nothing'})"
                for r in capped
            )
        )
    errors = [r for r in runs if r.error]
    if errors:
        say("Errors: " + "; ".join(f"{r.backend} n={r.size:,}: {r.error}" for r in errors))
    say(
        "stages: total = sum of in-process stages (imports included); wall = whole subprocess "
        "(interpreter start included); peak = ru_maxrss high-water mark; load1 = 1-minute load average "
        "before/after the run."
    )
    say(f"this process's own peak: {_peak_mib():.0f} MiB (a child's ru_maxrss starts from it)")
    say(f"load average at end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.save:
        args.save.parent.mkdir(parents=True, exist_ok=True)
        args.save.write_text(report.getvalue(), encoding="utf-8")
        args.save.with_suffix(".json").write_text(
            json.dumps([asdict(r) | {"total": r.total, "peak": r.peak} for r in runs], indent=1) + "\n",
            encoding="utf-8",
        )
        print(f"saved {args.save} and {args.save.with_suffix('.json')}", file=sys.stderr)


if __name__ == "__main__":
    main()
