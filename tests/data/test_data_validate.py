"""Validation: one test per rule (exact FILE:ROW and code), everything at once, quarantine."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from credential.data.load import load_bundle
from credential.data.validate import ValidationResult, validate_bundle
from credential.diagnostics import Severity, render_text
from credential.types import BOOL, DATE, NUMBER, PERCENT, TEXT, BundleSpec, EnumType, ScaleType

RATING = ScaleType("rating", ("inadequate", "requires_improvement", "good", "outstanding"))
SPEC = BundleSpec(
    attributes={
        "sector": EnumType(("acute", "mental_health")),
        "region": TEXT,
        "foundation_trust": BOOL,
        "beds": NUMBER,
        "opened": DATE,
        "share": PERCENT,
    },
    measures={
        "cqc_overall": RATING,
        "ae_4h": PERCENT,
        "surplus": NUMBER,
        "flag": BOOL,
        "since": DATE,
        "note": TEXT,
    },
    statuses=frozenset({"special_measures_quality"}),
    forms=frozenset({"buddying", "chain_group"}),
)

PROVIDERS = (
    "code,name,sector,region,foundation_trust,beds,opened,share\n"
    "RM3,Salford,acute,North West,yes,900,1990-04-01,0.5\n"
    "RW6,Pennine,acute,North West,no,,,\n"
    "R0A,Manchester,mental_health,North West,TRUE,12.5,2017-10-01,1\n"
)
OBS = "code,measure,period_end,value\nRM3,ae_4h,2016-01-31,0.9\n"
STATUSES = "code,status,start,end\nRM3,special_measures_quality,2015-01-01,2016-01-01\n"
ARR = "lead,recipient,form,start,end\nRM3,RW6,buddying,2015-06-01,\n"


def bundle(tmp_path: Path, **files: str) -> Path:
    base = {"providers": PROVIDERS, "observations": OBS, "statuses": STATUSES, "arrangements": ARR}
    base.update(files)
    for name, text in base.items():
        if text is not None:
            (tmp_path / f"{name}.csv").write_text(text, encoding="utf-8", newline="")
    return tmp_path


def run(tmp_path: Path, on_invalid: str = "reject", **files: str) -> ValidationResult:
    return validate_bundle(load_bundle(bundle(tmp_path, **files)), SPEC, on_invalid)  # type: ignore[arg-type]


def errors(result: ValidationResult) -> list[tuple[str, int | None, str]]:
    return [(d.file or "", d.row, d.code) for d in result.diagnostics if d.is_error]


def only_error(result: ValidationResult) -> tuple[str, int | None, str]:
    errs = errors(result)
    assert len(errs) == 1, [d.headline() for d in result.diagnostics]
    assert result.bundle is None
    return errs[0]


def test_valid_bundle(tmp_path: Path) -> None:
    r = run(tmp_path)
    assert r.ok and r.diagnostics == [] and r.quarantined == []
    b = r.bundle
    assert b is not None
    assert list(b.providers.columns) == [
        "code",
        "name",
        "beds",
        "foundation_trust",
        "opened",
        "region",
        "sector",
        "share",
        "file",
        "row",
    ]
    assert str(b.providers["beds"].dtype) == "Float64"
    assert str(b.providers["foundation_trust"].dtype) == "boolean"
    assert str(b.providers["opened"].dtype) == "datetime64[s]"
    assert str(b.providers["sector"].dtype) == "string"
    assert b.providers["foundation_trust"].tolist() == [True, False, True]
    assert b.providers["beds"].isna().tolist() == [False, True, False]
    assert list(b.observations.columns) == [
        "code",
        "measure",
        "period_end",
        "value",
        "numerator",
        "denominator",
        "file",
        "row",
    ]
    assert b.observations["value"].tolist() == [0.9]
    assert b.observations["numerator"].isna().all()  # no counts in this bundle
    assert list(b.statuses.columns) == ["code", "status", "start", "end", "file", "row"]
    assert list(b.arrangements.columns) == ["lead", "recipient", "form", "start", "end", "parties", "file", "row"]
    assert b.arrangements["end"].isna().all()
    assert b.row_values("providers.csv", 3) == {
        "code": "RW6",
        "name": "Pennine",
        "sector": "acute",
        "region": "North West",
        "foundation_trust": "no",
        "beds": "",
        "opened": "",
        "share": "",
    }
    assert set(b.digests) == {"providers.csv", "observations.csv", "statuses.csv", "arrangements.csv"}
    assert b.provider_codes == ["R0A", "RM3", "RW6"]


def test_headline_format(tmp_path: Path) -> None:
    r = run(tmp_path, observations=OBS + "RW6,ae_4h,2016-01-31,92\n")
    (d,) = r.errors
    assert d.headline() == (
        "observations.csv:3: error[data.out-of-range]: column value: percent value above 1 (value '92')"
    )
    assert d.help == "percent values are fractions: write 0.92 for 92%"
    assert render_text(d).endswith("= help: percent values are fractions: write 0.92 for 92%")
    assert (d.column, d.value) == ("value", "92")


# ---- one test per rule ------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    (tmp_path / "observations.csv").write_text(OBS)
    r = validate_bundle(load_bundle(tmp_path), SPEC)
    assert only_error(r) == ("providers.csv", None, "data.missing-file")


def test_missing_column(tmp_path: Path) -> None:
    r = run(tmp_path, observations="code,measure,period_end\nRM3,ae_4h,2016-01-31\n")
    assert only_error(r) == ("observations.csv", 1, "data.missing-column")
    assert r.errors[0].column == "value"


def test_missing_attribute_column(tmp_path: Path) -> None:
    text = "\n".join(",".join(line.split(",")[:-1]) for line in PROVIDERS.strip().split("\n")) + "\n"
    r = run(tmp_path, providers=text)
    assert only_error(r) == ("providers.csv", 1, "data.missing-column")
    assert r.errors[0].column == "share"


def test_duplicate_column(tmp_path: Path) -> None:
    r = run(tmp_path, arrangements="lead,recipient,form,start,end,form\nRM3,RW6,buddying,2015-06-01,,x\n")
    assert only_error(r) == ("arrangements.csv", 1, "data.duplicate-column")


def test_bad_row(tmp_path: Path) -> None:
    r = run(tmp_path, observations=OBS + "RW6,ae_4h,2016-01-31\n")
    assert only_error(r) == ("observations.csv", 3, "data.bad-row")


def test_missing_value(tmp_path: Path) -> None:
    r = run(tmp_path, statuses=STATUSES + "RW6,special_measures_quality,,\n")
    assert only_error(r) == ("statuses.csv", 3, "data.missing-value")
    assert r.errors[0].column == "start"


@pytest.mark.parametrize(
    ("column", "value", "code"),
    [
        ("beds", "12 beds", "data.bad-type"),
        ("beds", "inf", "data.bad-type"),
        ("share", "1.5", "data.out-of-range"),
        ("share", "-0.1", "data.out-of-range"),
        ("share", "50%", "data.bad-type"),
        ("foundation_trust", "maybe", "data.bad-type"),
        ("opened", "2015-02-29", "data.bad-date"),
        ("opened", "01/04/1990", "data.bad-date"),
        ("sector", "Acute", "data.not-a-level"),
        ("code", "rm9", "data.bad-code"),
        ("code", "RM3456", "data.bad-code"),
    ],
)
def test_bad_provider_cells(tmp_path: Path, column: str, value: str, code: str) -> None:
    header = PROVIDERS.split("\n")[0].split(",")
    row = dict(zip(header, ["RX1", "New", "acute", "London", "no", "1", "2000-01-01", "0.1"], strict=True))
    row[column] = value
    r = run(tmp_path, providers=PROVIDERS + ",".join(row[h] for h in header) + "\n")
    assert only_error(r) == ("providers.csv", 5, code)
    assert r.errors[0].column == column and r.errors[0].value == value


def test_help_hints(tmp_path: Path) -> None:
    r = run(tmp_path, providers=PROVIDERS + "rx1,New,Acute,London,no,1,01/04/1990,50%\n")
    hints = {d.column: d.help for d in r.errors}
    assert hints["code"] == "codes are upper-case letters and digits: did you mean 'RX1'?"
    assert hints["sector"] == "did you mean 'acute'?"
    assert hints["opened"] == "dates are ISO YYYY-MM-DD: write 1990-04-01"
    assert hints["share"] == "percent values are fractions: write 0.5 for 50%"


@pytest.mark.parametrize(
    ("measure", "value", "code"),
    [
        ("cqc_overall", "Good", "data.not-a-level"),
        ("ae_4h", "0.9x", "data.bad-type"),
        ("ae_4h", "1.01", "data.out-of-range"),
        ("surplus", "n/a", "data.bad-type"),
        ("flag", "maybe", "data.bad-type"),
        ("since", "2016-1-1", "data.bad-date"),
    ],
)
def test_observation_value_checked_by_measure_type(tmp_path: Path, measure: str, value: str, code: str) -> None:
    r = run(tmp_path, observations=OBS + f"RW6,{measure},2016-01-31,{value}\n")
    assert only_error(r) == ("observations.csv", 3, code)
    assert r.errors[0].column == "value"


def test_observation_values_of_every_type_are_typed(tmp_path: Path) -> None:
    obs = OBS + "RW6,cqc_overall,2016-01-31,good\nRW6,surplus,2016-01-31,-2.5\nRW6,flag,2016-01-31,No\n"
    obs += 'RW6,since,2016-01-31,2014-04-01\nRW6,note,2016-01-31,"a, b"\nRW6,ae_4h,2016-02-29,\n'
    r = run(tmp_path, observations=obs)
    assert r.ok
    assert r.bundle is not None
    assert r.bundle.observations["value"].tolist() == [
        0.9,
        "good",
        -2.5,
        False,
        dt.date(2014, 4, 1),
        "a, b",
        None,
    ]


def test_duplicate_provider(tmp_path: Path) -> None:
    r = run(tmp_path, providers=PROVIDERS + "RW6,Again,acute,London,no,1,2000-01-01,0.1\n")
    assert errors(r) == [
        ("providers.csv", 3, "data.duplicate-provider"),
        ("providers.csv", 5, "data.duplicate-provider"),
    ]
    assert "also row 5" in r.errors[0].message


def test_conflicting_observation(tmp_path: Path) -> None:
    obs = OBS + "RM3,ae_4h,2016-01-31,0.90\nRM3,ae_4h,2016-01-31,0.8\nRW6,ae_4h,2016-01-31,0.8\n"
    r = run(tmp_path, observations=obs)
    assert errors(r) == [
        ("observations.csv", 2, "data.conflicting-observation"),
        ("observations.csv", 3, "data.conflicting-observation"),
        ("observations.csv", 4, "data.conflicting-observation"),
    ]


def test_identical_duplicates_are_fine(tmp_path: Path) -> None:
    r = run(tmp_path, observations=OBS + "RM3,ae_4h,2016-01-31,0.90\nRM3,ae_4h,2016-01-31,0.9\n")
    assert r.ok and r.diagnostics == []


def test_empty_and_present_value_conflict(tmp_path: Path) -> None:
    r = run(tmp_path, observations=OBS + "RM3,ae_4h,2016-01-31,\n")
    assert [c for *_, c in errors(r)] == ["data.conflicting-observation"] * 2


@pytest.mark.parametrize(
    ("table", "text", "row", "column"),
    [
        ("observations", OBS + "ZZZ,ae_4h,2016-01-31,0.5\n", 3, "code"),
        ("statuses", STATUSES + "RX9,special_measures_quality,2016-01-01,\n", 3, "code"),
        ("arrangements", ARR + "RX9,RW6,buddying,2016-01-01,\n", 3, "lead"),
        ("arrangements", ARR + "RW6,RX9,buddying,2016-01-01,\n", 3, "recipient"),
    ],
)
def test_unknown_provider(tmp_path: Path, table: str, text: str, row: int, column: str) -> None:
    r = run(tmp_path, **{table: text})
    assert only_error(r) == (f"{table}.csv", row, "data.unknown-provider")
    assert r.errors[0].column == column


def test_self_arrangement(tmp_path: Path) -> None:
    r = run(tmp_path, arrangements=ARR + "RW6,RW6,buddying,2016-01-01,\n")
    assert only_error(r) == ("arrangements.csv", 3, "data.self-arrangement")


@pytest.mark.parametrize("table", ["statuses", "arrangements"])
def test_end_before_start(tmp_path: Path, table: str) -> None:
    line = "RW6,special_measures_quality" if table == "statuses" else "RW6,RM3,buddying"
    base = STATUSES if table == "statuses" else ARR
    r = run(tmp_path, **{table: base + f"{line},2016-01-02,2016-01-01\n"})
    assert only_error(r) == (f"{table}.csv", 3, "data.end-before-start")
    assert r.errors[0].column == "end"


def test_end_equal_to_start_is_allowed(tmp_path: Path) -> None:
    assert run(tmp_path, statuses=STATUSES + "RW6,special_measures_quality,2016-01-01,2016-01-01\n").ok


# ---- warnings ---------------------------------------------------------------------


def test_warnings(tmp_path: Path) -> None:
    r = run(
        tmp_path,
        observations=OBS + "RW6,rtt_18w,2016-01-31,0.9\nRW6,rtt_18w,2016-02-29,abc\n",
        statuses=STATUSES + "RW6,special_measures_finance,2016-01-01,\n",
        arrangements="lead,recipient,form,start,end,note\nRM3,RW6,merger,2015-06-01,,x\n",
    )
    assert r.ok and not r.errors
    got = [(d.file, d.row, d.code, d.severity) for d in r.diagnostics]
    assert got == [
        ("arrangements.csv", 1, "data.extra-column", Severity.WARNING),
        ("arrangements.csv", 2, "data.undeclared-form", Severity.WARNING),
        ("observations.csv", 3, "data.undeclared-measure", Severity.WARNING),
        ("statuses.csv", 3, "data.undeclared-status", Severity.WARNING),
    ]
    assert "(2 rows)" in r.diagnostics[2].message
    b = r.bundle
    assert b is not None
    assert "rtt_18w" not in set(b.observations["measure"])  # undeclared measures are not kept
    assert "special_measures_finance" in set(b.statuses["status"])
    assert "merger" in set(b.arrangements["form"])


# ---- all at once -------------------------------------------------------------------


def test_every_error_is_reported_sorted(tmp_path: Path) -> None:
    r = run(
        tmp_path,
        providers=PROVIDERS + "rm3,Bad,acute,London,maybe,x,2015-02-29,2\nRM3,Dup,acute,London,no,1,2000-01-01,0\n",
        observations=OBS + "RM3,cqc_overall,2016-01-31,Good\nZZZ,ae_4h,31/01/2016,92%\n",
        statuses=STATUSES + "RW6,special_measures_quality,2016-01-02,2016-01-01\n",
        arrangements=ARR + "RW6,RW6,buddying,2015-06-01,\n",
    )
    assert r.bundle is None
    assert errors(r) == [
        ("arrangements.csv", 3, "data.self-arrangement"),
        ("observations.csv", 3, "data.not-a-level"),
        ("observations.csv", 4, "data.unknown-provider"),
        ("observations.csv", 4, "data.bad-date"),
        ("observations.csv", 4, "data.bad-type"),
        ("providers.csv", 2, "data.duplicate-provider"),
        ("providers.csv", 5, "data.bad-type"),
        ("providers.csv", 5, "data.bad-code"),
        ("providers.csv", 5, "data.bad-type"),
        ("providers.csv", 5, "data.bad-date"),
        ("providers.csv", 5, "data.out-of-range"),
        ("providers.csv", 6, "data.duplicate-provider"),
        ("statuses.csv", 3, "data.end-before-start"),
    ]
    keys = [d.sort_key() for d in r.diagnostics]
    assert keys == sorted(keys)


# ---- quarantine ---------------------------------------------------------------------


def test_quarantine_sets_rows_aside(tmp_path: Path) -> None:
    r = run(
        tmp_path,
        on_invalid="quarantine",
        providers=PROVIDERS + "RX1,Bad,acute,London,maybe,1,2000-01-01,0.1\n",
        observations=OBS + "RW6,ae_4h,2016-01-31,1.5\nRW6,ae_4h,2016-02-29,0.5\n",
        statuses=STATUSES + "RW6,special_measures_quality,2016-01-02,2016-01-01\n",
        arrangements=ARR + "RW6,RW6,buddying,2015-06-01,\n",
    )
    b = r.bundle
    assert b is not None
    assert [(q.file, q.row) for q in r.quarantined] == [
        ("arrangements.csv", 3),
        ("observations.csv", 3),
        ("providers.csv", 5),
        ("statuses.csv", 3),
    ]
    assert r.quarantined[1].reasons == ["data.out-of-range: column value: percent value above 1 (value '1.5')"]
    assert list(b.observations["row"]) == [2, 4]
    assert "RX1" not in set(b.providers["code"])
    assert b.provider_codes == ["R0A", "RM3", "RW6", "RX1"]  # still a provider, attributes missing
    assert list(b.quarantine.providers["code"]) == ["RX1"]
    q = b.quarantine.observations
    assert (q["code"].iloc[0], q["measure"].iloc[0], q["period_end"].iloc[0]) == (
        "RW6",
        "ae_4h",
        pd.Timestamp("2016-01-31"),
    )
    # end before start: neither date can be trusted
    assert b.quarantine.statuses["start"].isna().all() and b.quarantine.statuses["end"].isna().all()
    assert list(b.quarantine.arrangements["lead"]) == ["RW6"]


def test_quarantine_cannot_set_aside_a_missing_column(tmp_path: Path) -> None:
    r = run(tmp_path, on_invalid="quarantine", observations="code,measure,period_end\n")
    assert r.bundle is None and r.quarantined == []


def test_unreadable_cells_in_quarantine_are_unknown(tmp_path: Path) -> None:
    r = run(tmp_path, on_invalid="quarantine", observations=OBS + "rw6,,2016-13-01,0.5\n")
    b = r.bundle
    assert b is not None
    q = b.quarantine.observations
    assert q["code"].isna().all() and q["measure"].isna().all() and q["period_end"].isna().all()


def test_on_invalid_must_be_known(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        run(tmp_path, on_invalid="ignore")


def test_json_empty_lists_are_empty_tables(tmp_path: Path) -> None:
    import json

    provider = {"code": "RM3", "name": "Salford", "sector": "acute", "region": "North West"}
    provider |= {"foundation_trust": True, "beds": 900, "opened": "1990-04-01", "share": 0.5}
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps({"providers": [provider], "observations": [], "statuses": []}))
    r = validate_bundle(load_bundle(path), SPEC)
    assert r.ok and r.diagnostics == []
    b = r.bundle
    assert b is not None and b.observations.empty and b.statuses.empty and b.arrangements.empty
    assert b.row_values("bundle.json#providers", 2)["beds"] == "900"
    assert b.digests.keys() == {"bundle.json"}
    path.write_text(json.dumps({"providers": [provider], "observations": [{"code": "RM3", "measure": "ae_4h"}]}))
    r = validate_bundle(load_bundle(path), SPEC)
    assert [(d.file, d.row, d.code, d.column) for d in r.errors] == [
        ("bundle.json#observations", 1, "data.missing-column", "period_end"),
        ("bundle.json#observations", 1, "data.missing-column", "value"),
    ]


def test_validation_without_hypothesis_reports_the_same(tmp_path: Path) -> None:
    """A fresh process (hypothesis not imported, as in a command-line run) hides hypothesis from
    pandera's strategies while its checks load: the diagnostics are the same as in this test
    process (which has hypothesis), hypothesis stays unimported, and importing it later works."""
    import subprocess
    import sys

    from credential.data.synthetic import generate_bundle, write_bundle
    from credential.diagnostics import render_all_text
    from credential.policy import load_policy

    policy_path = Path(__file__).resolve().parents[2] / "bench" / "policy" / "dalton_2014_v1.cred"
    policy = load_policy(policy_path)
    tables = generate_bundle(20, seed=2, spec=policy.bundle_spec())
    providers = tables["providers"].copy()
    providers.loc[providers.index[1], "code"] = "rx1"
    providers.loc[providers.index[2], "foundation_trust"] = "maybe"
    data = write_bundle({**tables, "providers": providers}, tmp_path / "b", "csv")
    here = render_all_text(validate_bundle(load_bundle(data), policy.bundle_spec()).diagnostics)
    assert "data.bad-code" in here and "data.bad-type" in here
    script = (
        "import sys\n"
        "from credential.data.load import load_bundle\n"
        "from credential.data.validate import validate_bundle\n"
        "from credential.diagnostics import render_all_text\n"
        "from credential.policy import load_policy\n"
        f"spec = load_policy({str(policy_path)!r}).bundle_spec()\n"
        f"out = render_all_text(validate_bundle(load_bundle({str(data)!r}), spec).diagnostics)\n"
        "assert 'hypothesis' not in sys.modules\n"
        "import hypothesis  # still importable afterwards\n"
        "sys.stdout.write(out)\n"
    )
    engine = str(Path(__file__).resolve().parents[2] / "engine")
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env={"PYTHONPATH": engine}, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == here
