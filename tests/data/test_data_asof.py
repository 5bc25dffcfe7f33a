"""As-of derivation, checked against values computed by hand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from credential.data.asof import (
    ArrangementCount,
    AttributeValue,
    Derived,
    LatestMeasure,
    StatusActive,
    WindowAggregate,
    derive,
    subtract_months,
)
from credential.data.bundle import Bundle
from credential.data.load import load_bundle
from credential.data.validate import validate_bundle
from credential.types import BOOL, DATE, NUMBER, PERCENT, TEXT, BundleSpec, ScaleType

RATING = ScaleType("rating", ("inadequate", "requires_improvement", "good", "outstanding"))
SPEC = BundleSpec(
    attributes={"region": TEXT, "foundation_trust": BOOL, "opened": DATE, "beds": NUMBER},
    measures={"ae_4h": PERCENT, "cqc_overall": RATING},
    statuses=frozenset({"sm"}),
    forms=frozenset({"buddying", "chain_group"}),
)

PROVIDERS = """code,name,region,foundation_trust,opened,beds
AAA,A,London,yes,2001-04-01,100
BBB,B,,no,,
CCC,C,Midlands,,,2.5
"""
# as_of 2016-06-30; a 6-month window takes observations dated after 2015-12-30.
OBSERVATIONS = """code,measure,period_end,value
AAA,ae_4h,2015-12-30,0.10
AAA,ae_4h,2015-12-31,0.80
AAA,ae_4h,2016-03-31,0.90
AAA,ae_4h,2016-06-30,0.70
AAA,ae_4h,2016-07-31,0.99
BBB,ae_4h,2015-06-30,0.60
BBB,ae_4h,2016-05-31,
AAA,cqc_overall,2014-05-01,good
AAA,cqc_overall,2016-06-30,outstanding
BBB,cqc_overall,2016-07-01,inadequate
CCC,cqc_overall,2015-01-01,requires_improvement
CCC,cqc_overall,2015-01-01,requires_improvement
"""
STATUSES = """code,status,start,end
AAA,sm,2015-01-01,2016-06-30
BBB,sm,2016-06-30,
CCC,sm,2016-07-01,
CCC,sm,2014-01-01,2015-01-01
"""
ARRANGEMENTS = """lead,recipient,form,start,end
AAA,BBB,buddying,2016-06-30,
AAA,CCC,chain_group,2015-01-01,2016-07-01
AAA,CCC,buddying,2014-01-01,2016-06-30
BBB,CCC,buddying,2016-07-01,
CCC,AAA,chain_group,2016-01-01,
"""
COVERAGE = """status,start,end
sm,2010-01-01,
"""
AS_OF = dt.date(2016, 6, 30)


def make(tmp_path: Path, on_invalid: str = "reject", **override: str) -> Bundle:
    files = {
        "providers": PROVIDERS,
        "observations": OBSERVATIONS,
        "statuses": STATUSES,
        "arrangements": ARRANGEMENTS,
        "coverage": COVERAGE,
    }
    files.update(override)
    for name, text in files.items():
        (tmp_path / f"{name}.csv").write_text(text, encoding="utf-8")
    result = validate_bundle(load_bundle(tmp_path), SPEC, on_invalid)  # type: ignore[arg-type]
    assert result.bundle is not None, [d.headline() for d in result.diagnostics]
    return result.bundle


def one(bundle: Bundle, request: object, as_of: dt.date = AS_OF) -> Derived:
    return derive(bundle, [request], as_of)[request]  # type: ignore[list-item,index]


def rows(d: Derived, code: str) -> list[int]:
    return [r for _, r in d.evidence_of(code)]


def test_subtract_months() -> None:
    assert subtract_months(dt.date(2016, 8, 31), 6) == dt.date(2016, 2, 29)
    assert subtract_months(dt.date(2016, 6, 30), 6) == dt.date(2015, 12, 30)
    assert subtract_months(dt.date(2016, 3, 31), 1) == dt.date(2016, 2, 29)
    assert subtract_months(dt.date(2015, 3, 31), 1) == dt.date(2015, 2, 28)
    assert subtract_months(dt.date(2016, 1, 15), 12) == dt.date(2015, 1, 15)
    assert subtract_months(dt.date(2016, 1, 15), 25) == dt.date(2013, 12, 15)
    assert subtract_months(dt.date(2016, 1, 15), 0) == dt.date(2016, 1, 15)


def test_requests_are_hashable_values() -> None:
    assert WindowAggregate("mean", "ae_4h", 6) == WindowAggregate("mean", "ae_4h", 6)
    assert len({ArrangementCount("lead"), ArrangementCount("lead", None, None), StatusActive("sm")}) == 2


def test_attributes(tmp_path: Path) -> None:
    b = make(tmp_path)
    region = one(b, AttributeValue("region"))
    assert region.to_dict() == {"AAA": "London", "BBB": None, "CCC": "Midlands"}
    assert region.evidence_of("BBB") == [("providers.csv", 3)]
    assert one(b, AttributeValue("foundation_trust")).to_dict() == {"AAA": True, "BBB": False, "CCC": None}
    assert one(b, AttributeValue("opened")).to_dict() == {
        "AAA": dt.date(2001, 4, 1),
        "BBB": None,
        "CCC": None,
    }
    assert one(b, AttributeValue("beds")).to_dict() == {"AAA": 100.0, "BBB": None, "CCC": 2.5}
    assert one(b, AttributeValue("name")).value_of("CCC") == "C"
    with pytest.raises(KeyError):
        one(b, AttributeValue("nope"))


def test_latest_measure(tmp_path: Path) -> None:
    b = make(tmp_path)
    ae = one(b, LatestMeasure("ae_4h"))
    # AAA: 2016-06-30 is on the as-of date (included); 2016-07-31 is after it.
    assert ae.value_of("AAA") == pytest.approx(0.70)
    assert rows(ae, "AAA") == [5]
    # BBB's latest observation has an empty value: missing, not the older 0.60.
    assert ae.value_of("BBB") is None
    assert rows(ae, "BBB") == [8]
    assert ae.value_of("CCC") is None and rows(ae, "CCC") == []
    cqc = one(b, LatestMeasure("cqc_overall"))
    assert cqc.to_dict() == {"AAA": "outstanding", "BBB": None, "CCC": "requires_improvement"}
    assert rows(cqc, "CCC") == [12, 13]  # identical duplicates: both rows are evidence
    assert one(b, LatestMeasure("cqc_overall"), dt.date(2016, 6, 29)).value_of("AAA") == "good"
    assert str(cqc.values["value"].dtype) == "string"
    assert str(ae.values["value"].dtype) == "Float64"


def test_window_edges(tmp_path: Path) -> None:
    b = make(tmp_path)
    # AAA in (2015-12-30, 2016-06-30]: 0.80, 0.90, 0.70 (the 2015-12-30 start is excluded).
    mean = one(b, WindowAggregate("mean", "ae_4h", 6))
    assert mean.value_of("AAA") == pytest.approx(0.8)
    assert rows(mean, "AAA") == [3, 4, 5]
    count = one(b, WindowAggregate("count", "ae_4h", 6))
    assert count.to_dict() == {"AAA": 3.0, "BBB": 1.0, "CCC": 0.0}
    assert one(b, WindowAggregate("min", "ae_4h", 6)).value_of("AAA") == pytest.approx(0.7)
    assert one(b, WindowAggregate("max", "ae_4h", 6)).value_of("AAA") == pytest.approx(0.9)
    # a window with an empty value is missing; an empty window's mean is missing, its count 0
    assert mean.value_of("BBB") is None
    assert mean.value_of("CCC") is None
    # 7 months reaches back to 2015-11-30: the 2015-12-30 row is in.
    assert one(b, WindowAggregate("count", "ae_4h", 7)).value_of("AAA") == 4.0


def test_window_over_a_scale(tmp_path: Path) -> None:
    b = make(tmp_path)
    lo = one(b, WindowAggregate("min", "cqc_overall", 36))
    hi = one(b, WindowAggregate("max", "cqc_overall", 36))
    assert (lo.value_of("AAA"), hi.value_of("AAA")) == ("good", "outstanding")
    with pytest.raises(ValueError):
        one(b, WindowAggregate("mean", "cqc_overall", 36))


def test_status_active(tmp_path: Path) -> None:
    b = make(tmp_path)
    sm = one(b, StatusActive("sm"))
    # AAA's status ends on the as-of date: inactive; BBB's starts on it: active; CCC's starts after.
    assert sm.to_dict() == {"AAA": False, "BBB": True, "CCC": False}
    assert rows(sm, "BBB") == [3]
    # not active: the status's inactive rows and the coverage row that makes "no row" mean "not active"
    assert sm.evidence_of("CCC") == [("coverage.csv", 2), ("statuses.csv", 4), ("statuses.csv", 5)]
    assert one(b, StatusActive("sm"), dt.date(2016, 6, 29)).value_of("AAA") is True
    # open world: no list of `other` covers the date, so nobody is known to be out of it
    assert one(b, StatusActive("other")).to_dict() == {"AAA": None, "BBB": None, "CCC": None}


@pytest.mark.parametrize(
    ("coverage", "expected"),
    [
        ("", {"AAA": None, "BBB": True, "CCC": None}),  # no coverage table at all
        ("sm,2010-01-01,2016-06-30\n", {"AAA": None, "BBB": True, "CCC": None}),  # ended on the as-of date
        ("sm,2016-07-01,\n", {"AAA": None, "BBB": True, "CCC": None}),  # starts after it
        ("sm,2016-06-30,2016-07-01\n", {"AAA": False, "BBB": True, "CCC": False}),  # covers that day
    ],
)
def test_status_coverage_open_world(tmp_path: Path, coverage: str, expected: dict[str, bool | None]) -> None:
    b = make(tmp_path, coverage="status,start,end\n" + coverage)
    assert one(b, StatusActive("sm")).to_dict() == expected  # an active row is known either way


def test_arrangement_counts(tmp_path: Path) -> None:
    b = make(tmp_path)
    led = one(b, ArrangementCount("lead"))
    # AAA leads: row 2 (starts on as-of: active), row 3 (ends after as-of: active), row 4 ended on as-of.
    assert led.to_dict() == {"AAA": 2.0, "BBB": 0.0, "CCC": 1.0}
    assert rows(led, "AAA") == [2, 3]
    assert one(b, ArrangementCount("lead", "buddying")).to_dict() == {"AAA": 1.0, "BBB": 0.0, "CCC": 0.0}
    # started within 12 months: start after 2015-06-30
    assert one(b, ArrangementCount("lead", None, 12)).to_dict() == {"AAA": 1.0, "BBB": 0.0, "CCC": 1.0}
    assert one(b, ArrangementCount("recipient")).to_dict() == {"AAA": 1.0, "BBB": 1.0, "CCC": 1.0}


def test_quarantined_values_become_missing(tmp_path: Path) -> None:
    b = make(
        tmp_path,
        on_invalid="quarantine",
        providers=PROVIDERS + "DDD,D,London,maybe,,\n",
        observations=OBSERVATIONS
        + "CCC,ae_4h,2016-04-30,1.5\n"  # row 14: in the window, would be CCC's latest
        + "AAA,ae_4h,2016-01-31,x\n"  # row 15: inside AAA's window, older than its latest
        + "BBB,cqc_overall,2016-08-01,Bad\n",  # row 16: after the as-of date
        statuses=STATUSES + "AAA,sm,2016-01-02,2016-01-01\n",  # row 6: dates untrustworthy
        arrangements=ARRANGEMENTS + "BBB,BBB,buddying,2015-01-01,\n",  # row 7
    )
    assert one(b, AttributeValue("region")).to_dict() == {
        "AAA": "London",
        "BBB": None,
        "CCC": "Midlands",
        "DDD": None,
    }
    assert one(b, AttributeValue("region")).evidence_of("DDD") == [("providers.csv", 5)]
    ae = one(b, LatestMeasure("ae_4h"))
    assert ae.value_of("AAA") == pytest.approx(0.7)  # the quarantined row is older than the latest
    assert ae.value_of("CCC") is None and rows(ae, "CCC") == [14]
    mean = one(b, WindowAggregate("mean", "ae_4h", 6))
    count = one(b, WindowAggregate("count", "ae_4h", 6))
    assert mean.value_of("AAA") is None and count.value_of("AAA") is None
    assert 15 in rows(count, "AAA")
    assert one(b, WindowAggregate("count", "ae_4h", 1)).value_of("AAA") == 1.0  # row 15 outside
    assert one(b, LatestMeasure("cqc_overall")).value_of("BBB") is None  # no observation on or before
    sm = one(b, StatusActive("sm"))
    assert sm.to_dict() == {"AAA": None, "BBB": True, "CCC": False, "DDD": False}
    led = one(b, ArrangementCount("lead"))
    assert led.to_dict() == {"AAA": 2.0, "BBB": None, "CCC": 1.0, "DDD": 0.0}
    assert one(b, ArrangementCount("lead", "chain_group")).value_of("BBB") == 0.0


def test_unreadable_quarantined_cells_match_everything(tmp_path: Path) -> None:
    b = make(tmp_path, on_invalid="quarantine", observations=OBSERVATIONS + "aaa,,2016-06-01,0.5\n")
    ae = one(b, LatestMeasure("ae_4h"))
    # the row could be anyone's, of any measure, dated 2016-06-01: it could be the latest for
    # providers whose latest is on or before that date (BBB, CCC), but not for AAA (2016-06-30).
    assert ae.to_dict() == {"AAA": pytest.approx(0.7), "BBB": None, "CCC": None}
    assert rows(ae, "CCC") == [14]
    assert one(b, LatestMeasure("cqc_overall")).value_of("AAA") == "outstanding"
    assert one(b, LatestMeasure("cqc_overall")).value_of("CCC") is None


def test_frame_and_order_independence(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    b1 = make(tmp_path / "a")
    lines = OBSERVATIONS.strip().split("\n")
    shuffled = "\n".join([lines[0], *reversed(lines[1:])]) + "\n"
    (tmp_path / "b").mkdir()
    b2 = make(tmp_path / "b", observations=shuffled)
    reqs = [LatestMeasure("ae_4h"), WindowAggregate("mean", "ae_4h", 6), LatestMeasure("cqc_overall")]
    r1, r2 = derive(b1, reqs, AS_OF), derive(b2, reqs, AS_OF)
    for r in reqs:
        assert r1[r].to_dict() == r2[r].to_dict()
    frame = r1[reqs[1]].frame()
    assert list(frame.columns) == ["code", "value", "evidence"]
    assert frame["evidence"].iloc[0] == [
        ("observations.csv", 3),
        ("observations.csv", 4),
        ("observations.csv", 5),
    ]
