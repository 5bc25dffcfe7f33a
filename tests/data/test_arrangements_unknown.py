"""Arrangement rows with unknown cells: an empty ``lead``, ``recipient``, ``form`` or ``start`` is
*not known*, and a count that such a row could change is unknown (three-valued), never a guess.

The property: on generated bundles, ``ArrangementCount`` is known exactly when every completion of
the empty cells gives the same count, and then it is that count.  The reference enumerates each
row's completions (a count is a sum of independent per-row contributions, so the set of possible
counts is known when each row's contribution is)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credential.data.asof import ArrangementCount, derive, subtract_months
from credential.data.load import load_bundle
from credential.data.validate import validate_bundle
from credential.types import BundleSpec

EXAMPLES = int(os.environ.get("DATA_EXAMPLES", "25"))
SPEC = BundleSpec(attributes={}, measures={}, statuses=frozenset(), forms=frozenset({"buddying", "chain_group"}))
PROVIDERS = ("AAA", "BBB", "CCC", "DDD")
FORMER = ("ZZ1", "ZZ2")  # organisations that are no longer providers (named in parties only)
OUTSIDE = "XXX"  # stands for any organisation that is not a provider
DATES = [dt.date(2015, 1, 1) + dt.timedelta(days=91 * i) for i in range(12)]

Row = dict[str, str | None]


@st.composite
def rows(draw: st.DrawFn) -> Row:
    lead = draw(st.sampled_from([*PROVIDERS, None]))
    recipient = draw(st.sampled_from([p for p in (*PROVIDERS, None) if p is None or p != lead]))
    start = draw(st.sampled_from([*DATES, None]))
    end = draw(st.sampled_from([None, *[d for d in DATES if start is None or d >= start]]))
    parties: str | None = None
    if draw(st.booleans()):
        extra = draw(st.sets(st.sampled_from([*PROVIDERS, *FORMER]), max_size=3))
        listed = {c for c in (lead, recipient) if c is not None} | extra
        parties = " ".join(sorted(listed)) if len(listed) >= 2 else None
    return {
        "lead": lead,
        "recipient": recipient,
        "form": draw(st.sampled_from(["buddying", "chain_group", "merger", None])),
        "start": start.isoformat() if start else None,
        "end": end.isoformat() if end else None,
        "parties": parties,
    }


def write(tmp: Path, arrangements: list[Row]) -> Path:
    (tmp / "providers.csv").write_text("code,name\n" + "".join(f"{p},{p}\n" for p in PROVIDERS), encoding="utf-8")
    lines = ["lead,recipient,form,start,end,parties"]
    for r in arrangements:
        lines.append(",".join(r[c] or "" for c in ("lead", "recipient", "form", "start", "end", "parties")))
    (tmp / "arrangements.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return tmp


def contributions(r: Row, req: ArrangementCount, as_of: dt.date, code: str) -> set[int]:
    """What one row can add to ``code``'s count, over every completion of its empty cells."""
    other = "recipient" if req.role == "lead" else "lead"
    cutoff = subtract_months(as_of, req.within_months) if req.within_months is not None else None
    if r[req.role] is not None:
        roles = [r[req.role]]
    elif r["parties"] is not None:
        roles = [c for c in str(r["parties"]).split() if c != r[other]]
    else:
        roles = [c for c in (*PROVIDERS, OUTSIDE) if c != r[other]]
    forms = [r["form"]] if r["form"] is not None else ["buddying", "chain_group", "other"]
    end = dt.date.fromisoformat(r["end"]) if r["end"] else None
    if r["start"] is not None:
        starts = [dt.date.fromisoformat(r["start"])]
    else:
        near = [as_of, as_of + dt.timedelta(days=1), dt.date(1990, 1, 1)]
        if cutoff is not None:
            near += [cutoff, cutoff + dt.timedelta(days=1)]
        starts = [d for d in near if end is None or d <= end]
    out = set()
    for who in roles:
        for form in forms:
            for start in starts:
                active = start <= as_of and (end is None or end > as_of)
                counted = (
                    who == code
                    and active
                    and (req.form is None or form == req.form)
                    and (cutoff is None or start > cutoff)
                )
                out.add(int(counted))
    return out


REQUESTS = [
    ArrangementCount(role, form, within)  # type: ignore[arg-type]
    for role in ("lead", "recipient")
    for form in (None, "buddying")
    for within in (None, 12)
]


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.lists(rows(), max_size=4), st.sampled_from(DATES + [d + dt.timedelta(days=1) for d in DATES]))
def test_counts_are_known_exactly_when_every_completion_agrees(
    tmp_path_factory: pytest.TempPathFactory, arrangements: list[Row], as_of: dt.date
) -> None:
    result = validate_bundle(load_bundle(write(tmp_path_factory.mktemp("b"), arrangements)), SPEC)
    assert result.bundle is not None, [d.headline() for d in result.diagnostics]
    got = derive(result.bundle, REQUESTS, as_of)
    for req in REQUESTS:
        for code in PROVIDERS:
            per_row = [contributions(r, req, as_of, code) for r in arrangements]
            value = got[req].value_of(code)
            if all(len(c) == 1 for c in per_row):
                assert value == float(sum(min(c) for c in per_row)), (req, code)
            else:
                assert value is None, (req, code, per_row)
                assert (code, {r for _, r in got[req].evidence_of(code)}) != (code, set())


def test_empty_cells_are_valid_and_documented_cases(tmp_path: Path) -> None:
    arrangements: list[Row] = [
        # an acquisition: the lead known, the recipient a former organisation named in parties
        {
            "lead": "AAA",
            "recipient": None,
            "form": "chain_group",
            "start": "2016-01-01",
            "end": None,
            "parties": "AAA ZZ1",
        },
        # a merger into a new organisation: lead not known, parties all former
        {
            "lead": None,
            "recipient": None,
            "form": "chain_group",
            "start": "2016-01-01",
            "end": None,
            "parties": "ZZ1 ZZ2",
        },
        # a board of BBB and CCC, lead, form and start not known
        {"lead": None, "recipient": None, "form": None, "start": None, "end": None, "parties": "BBB CCC"},
    ]
    b = validate_bundle(load_bundle(write(tmp_path, arrangements)), SPEC).bundle
    assert b is not None
    as_of = dt.date(2016, 6, 30)
    led = derive(b, [ArrangementCount("lead")], as_of)[ArrangementCount("lead")]
    assert led.to_dict() == {"AAA": 1.0, "BBB": None, "CCC": None, "DDD": 0.0}
    assert led.evidence_of("BBB") == [("arrangements.csv", 4)]
    chains = ArrangementCount("recipient", "chain_group", 12)
    got = derive(b, [chains], as_of)[chains]
    assert got.to_dict() == {"AAA": 0.0, "BBB": None, "CCC": None, "DDD": 0.0}


def test_a_given_role_must_be_a_party(tmp_path: Path) -> None:
    bad: list[Row] = [
        {"lead": "AAA", "recipient": "BBB", "form": "buddying", "start": None, "end": None, "parties": "AAA CCC"}
    ]
    result = validate_bundle(load_bundle(write(tmp_path, bad)), SPEC)
    assert not result.ok
    assert [(d.code, d.row, d.column) for d in result.errors] == [("data.not-a-party", 2, "recipient")]
    assert result.errors[0].headline() == (
        "arrangements.csv:2: error[data.not-a-party]: column recipient: recipient is not one of the parties "
        "(AAA CCC) (value 'BBB')"
    )


def test_parties_are_codes(tmp_path: Path) -> None:
    bad: list[Row] = [{"lead": None, "recipient": None, "form": None, "start": None, "end": None, "parties": "AAA bbb"}]
    result = validate_bundle(load_bundle(write(tmp_path, bad)), SPEC)
    assert [(d.code, d.column) for d in result.errors] == [("data.bad-code", "parties")]
    assert result.errors[0].help == "separate codes by spaces, such as 'RM2 RW3'; 'bbb' is not an organisation code"


def test_parties_name_two_organisations_or_more(tmp_path: Path) -> None:
    bad: list[Row] = [{"lead": "AAA", "recipient": None, "form": None, "start": None, "end": None, "parties": "AAA"}]
    result = validate_bundle(load_bundle(write(tmp_path, bad)), SPEC)
    assert [(d.code, d.column) for d in result.errors] == [("data.not-a-party", "parties")]
    assert "an arrangement has at least two parties" in result.errors[0].message
