"""Parse, check and format a generated 5,000-line policy; print the timings.

Usage::

    PYTHONPATH=engine python3 bench/bench_parse.py [--lines 5000] [--repeat 5]

The policy is well-typed and varied: sources, scales, attributes, measures, statuses,
params with ``from`` steps, then criteria, credentials and forms (three-quarters of the
lines) using every condition form.  Target: parse + check under 1 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine"))

from credential.policy import load_checked
from credential.syntax import parse_text
from credential.syntax.format import format_text

HEADER = """\
# A generated policy for benchmarking.
policy bench "Benchmark policy"
  version "1.0.0"
  effective 2015-04-01

source review "A review"

scale rating: inadequate < requires_improvement < good < outstanding

attribute sector: one of acute, mental_health, community, ambulance, specialist
attribute region: text
attribute foundation_trust: yes/no

status special_measures
"""


def generate(lines: int) -> str:
    """A well-typed policy of about ``lines`` lines."""
    out = [HEADER]
    n_measures = max(4, lines // 100)
    for i in range(n_measures):
        kind = ("rating", "percent", "number")[i % 3]
        out.append(f"measure m{i}: {kind}\n")
    out.append("\nparam grace = 24 months\n  from 2020-01-01 = 12 months\nparam standard = 92%\n\n")

    def measure(i: int, kind: str) -> str:
        offset = {"rating": 0, "percent": 1, "number": 2}[kind]
        return f"m{(i * 3 + offset) % (n_measures - n_measures % 3 or 3)}"

    body: list[str] = []
    i = 0
    names: list[str] = []  # criteria and credentials so far (each names earlier ones only)
    criteria: list[str] = []
    credentials: list[str] = []
    while sum(chunk.count("\n") for chunk in out) + sum(chunk.count("\n") for chunk in body) < lines:
        rating, pct, num = measure(i, "rating"), measure(i, "percent"), measure(i, "number")
        shape = i % 4
        if shape == 0 or len(names) < 2:
            name = f"criterion_{i}"
            body.append(
                f'criterion {name} "Criterion {i}"\n'
                f'  cites review "section {i}"\n'
                f"  requires {rating} >= good and mean {pct} over 4 quarters >= standard\n"
                f"       and (sector in (acute, community) or foundation_trust) and not special_measures\n"
                f"  unless leads arrangement started within grace or count {num} over 2 years > 3\n\n"
            )
            names.append(name)
            criteria.append(name)
        elif shape == 1:
            name = f"criterion_{i}"
            body.append(
                f"criterion {name}\n"
                f"  requires all of {rating}, {rating} > requires_improvement or {names[-1]}\n"
                f"  unless max {pct} over 6 months < 50% and count arrangements led < 3\n\n"
            )
            names.append(name)
            criteria.append(name)
        elif shape == 2:
            name = f"credential_{i}"
            body.append(
                f'credential {name} "Tier {i}"\n'
                f"  requires {names[-1]} and {names[-2]}\n"
                f"       and not ({rating} = inadequate or special_measures)\n\n"
            )
            names.append(name)
            credentials.append(name)
        elif not credentials:
            pass
        else:
            body.append(
                f'form form_{i} "Form {i}"\n'
                f"  change {('low', 'medium', 'high', 'very_high')[i % 8 // 2]}\n"
                # Every form names the same credential, so the risk gradient holds.
                f"  lead requires {credentials[0]} and {criteria[-1]}\n"
                f"       and count arrangements led as form_{i} < 3\n"
                f"  recipient requires special_measures or {rating} <= requires_improvement\n"
                f"  pair requires lead.region = recipient.region and lead.sector != recipient.sector\n\n"
            )
        i += 1
    return "".join(out) + "".join(body)


def timed(fn: Callable[[], object], repeat: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU seconds of each run (CPU time is steadier on a busy machine)."""
    wall, cpu = [], []
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        fn()
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
    return wall, cpu


def report(label: str, times: tuple[list[float], list[float]]) -> None:
    wall, cpu = times
    print(
        f"{label:<15} wall: min {min(wall):6.3f} s  median {statistics.median(wall):6.3f} s"
        f"   cpu: min {min(cpu):6.3f} s  median {statistics.median(cpu):6.3f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    text = generate(args.lines)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.cred"
        path.write_text(text, encoding="utf-8")
        policy, diags = load_checked(path)
        errors = [d.headline() for d in diags if d.is_error]
        if policy is None or errors:
            sys.exit("generated policy does not check:\n" + "\n".join(errors[:10]))
        print(
            f"policy: {text.count(chr(10))} lines, {len(text):,} chars; {len(policy.criteria)} criteria, "
            f"{len(policy.credentials)} credentials, {len(policy.forms)} forms; {len(diags)} warnings"
        )
        parse_text(text)  # warm up: grammar load and parser construction are cached
        report("parse", timed(lambda: parse_text(text, str(path)), args.repeat))
        report("parse + check", timed(lambda: load_checked(path), args.repeat))
        report("format", timed(lambda: format_text(text), args.repeat))


if __name__ == "__main__":
    main()
