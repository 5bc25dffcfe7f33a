"""check.type-mismatch for every pair of kinds: both kinds named, each side's span labelled.

A comparison whose two sides are of different kinds (a number, a percent, a date, text,
yes/no, a level of a scale, a member of a `one of`, a duration, a status, a criterion) is
always `check.type-mismatch` naming both kinds, never an unknown name with a did-you-mean.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from credential.diagnostics import render_all_text
from credential.policy import load_checked
from support.golden import assert_golden

GOLDEN = Path(__file__).parent / "golden_kinds"  # not a case golden: docs/diagnostics.md shows those

HEADER = """policy kinds "Every pair of kinds"
  version "1.0.0"
  effective 2015-04-01

scale rating: inadequate < requires_improvement < good < outstanding
attribute sector: one of acute, community
attribute region: text
attribute opened: date
attribute foundation_trust: yes/no
measure beds: number
measure ae_4h: percent
measure cqc_overall: rating
status special_measures
param grace = 24 months

criterion strong
  requires cqc_overall >= good
"""

# kind -> (a provider's value of that kind or the name itself, a constant of that kind, the words for each)
KINDS: dict[str, tuple[str, str, str, str]] = {
    "number": ("beds", "3", "number", "number"),
    "percent": ("ae_4h", "95%", "percent", "percent"),
    "date": ("opened", "2015-01-01", "date", "date"),
    "text": ("region", '"London"', "text", "text"),
    "yes/no": ("foundation_trust", "yes", "yes/no", "yes/no"),
    "rating level": ("cqc_overall", "good", "rating", "level of scale rating"),
    "one-of member": ("sector", "acute", "one of acute, community", "member of one of acute, community"),
    "duration": ("grace", "24 months", "duration", "duration"),
    "status": ("special_measures", "special_measures", "status", "status"),
    "criterion": ("strong", "strong", "criterion", "criterion"),
}
PAIRS = list(itertools.combinations(KINDS, 2))


def _policy(tmp_path: Path, a: str, b: str) -> tuple[Path, str, str]:
    left = KINDS[a][0]
    right = KINDS[b][1]
    text = HEADER + f"\ncredential c\n  requires strong and {left} = {right}\n"
    path = tmp_path / "kinds.cred"
    path.write_text(text, encoding="utf-8")
    return path, left, right


@pytest.mark.parametrize(("a", "b"), PAIRS, ids=[f"{a}-{b}" for a, b in PAIRS])
def test_every_pair_is_a_type_mismatch(tmp_path: Path, a: str, b: str) -> None:
    path, left, right = _policy(tmp_path, a, b)
    policy, diags = load_checked(path)
    assert policy is None
    errors = [d for d in diags if d.is_error]
    assert [d.code for d in errors] == ["check.type-mismatch"], [d.headline() for d in errors]
    (d,) = errors
    lwords, rwords = KINDS[a][2], KINDS[b][3]
    assert f"({lwords})" in d.message and f"({rwords})" in d.message, d.message
    assert d.help is None or "did you mean" not in d.help
    assert [label.text for label in d.labels] == [lwords, rwords]
    assert [label.span.text for label in d.labels] == [left, right]
    line = path.read_text(encoding="utf-8").splitlines()[d.labels[0].span.line - 1]
    assert line.endswith(f"{left} = {right}")


def test_kind_pairs_golden(tmp_path: Path) -> None:
    out = []
    for a, b in PAIRS:
        path, _, _ = _policy(tmp_path, a, b)
        _, diags = load_checked(path)
        out.append(
            f"## {a} = {b}\n" + render_all_text([d for d in diags if d.is_error]).replace(str(path), "kinds.cred")
        )
    assert_golden(GOLDEN / "kind-pairs.txt", "\n".join(out))


def test_a_typo_is_still_an_unknown_name(tmp_path: Path) -> None:
    path = tmp_path / "typo.cred"
    path.write_text(HEADER + "\ncredential c\n  requires strong and cqc_overall >= goood\n", encoding="utf-8")
    _, diags = load_checked(path)
    assert [(d.code, d.help) for d in diags if d.is_error] == [("check.unknown-name", "did you mean `good`?")]
