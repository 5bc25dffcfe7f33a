"""A hand-written pandas implementation of the benchmark policy (the scale benchmark's baseline).

The policy is ``bench/policy/dalton_2014_v1.cred``, a frozen copy of ``policies/dalton_2014.cred`` at
version 1.0.0 (``bench/duckdb_baseline.py`` implements it in SQL).

This is what a competent analyst would write *without* the credential engine: read the
bundle's CSV files with pandas, derive each provider's values as of a date with
groupby/merge, and apply the policy's criteria, credentials and form roles with
three-valued (Kleene) logic on pandas nullable booleans (``True`` / ``False`` / ``<NA>``:
``&``, ``|`` and ``~`` follow Kleene's tables).  The policy's parameters are written in
by hand, as an analyst would.  The bundle is digested (SHA-256 of each file) and validated
first, with the checks of docs/data-bundle.md for the tables this policy reads.  No proofs, no pairs.

The data's semantics are those of docs/data-bundle.md: statuses are an open world (a provider
not on a list is "not in" the status only on a date a ``coverage.csv`` row declares that list
complete, otherwise unknown), and an arrangement's empty ``lead``, ``recipient``, ``form`` or
``start`` is not known (a count the row could change is unknown).

It writes one row per provider and per-provider subject (``credential:NAME``,
``form:NAME:lead``, ``form:NAME:recipient``) with the outcome ``granted`` (true),
``refused`` (false) or ``undetermined`` (unknown), the same (provider, subject, outcome)
as ``credential evaluate``.  ``tests/bench/test_pandas_baseline.py`` checks that it agrees
with the engine.

Usage::

    python bench/pandas_baseline.py DATA --as-of 2026-11-22 --output outcomes.csv
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import io
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

# ---------------------------------------------------------------------------- the policy's values

RATING = {"inadequate": 0, "requires_improvement": 1, "good": 2, "outstanding": 3}
INADEQUATE, REQUIRES_IMPROVEMENT, GOOD, OUTSTANDING = 0, 1, 2, 3

RATING_MEASURES = ("cqc_overall", "cqc_safe", "cqc_effective", "cqc_caring", "cqc_responsive", "cqc_well_led")
LATEST_PERCENTS = ("cancer_62d", "cancer_31d", "cancer_fds")
KEY_QUESTIONS = ("cqc_safe", "cqc_effective", "cqc_caring", "cqc_responsive", "cqc_well_led")
GRACE_FORMS = ("management_contract", "franchise", "chain_group", "integrated_care_organisation", "merger_acquisition")

GRACE_PERIOD_MONTHS = 24
MAX_LED_ARRANGEMENTS = 3
AE_WINDOW_MONTHS = 36  # mean ae_4h over 3 years
SURPLUS_WINDOW_MONTHS = 24  # min surplus_margin over 2 years


def _stepped(as_of: dt.date, default: float, steps: list[tuple[str, float]]) -> float:
    """A param with `from DATE = value` lines: the latest step on or before as_of applies."""
    value = default
    for since, v in steps:
        if dt.date.fromisoformat(since) <= as_of:
            value = v
    return value


def params(as_of: dt.date) -> dict[str, float]:
    return {
        "ae_standard": _stepped(as_of, 0.95, [("2023-04-01", 0.76), ("2024-04-01", 0.78)]),
        "cancer_62d_standard": _stepped(as_of, 0.85, [("2024-04-01", 0.70), ("2025-04-01", 0.75)]),
        "cancer_31d_standard": 0.96,
        "fds_standard": _stepped(as_of, 0.75, [("2024-04-01", 0.77), ("2025-04-01", 0.80)]),
    }


# ---------------------------------------------------------------------------- reading


TABLES = {
    "providers": ["code", "name", "sector", "region", "ics", "foundation_trust"],
    "observations": ["code", "measure", "period_end", "value"],
    "statuses": ["code", "status", "start", "end"],
    "arrangements": ["lead", "recipient", "form", "start", "end"],
    "coverage": ["status", "start", "end"],
}
OPTIONAL = {"observations": ["numerator", "denominator"], "arrangements": ["parties"]}


def load(data_dir: Path) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """Every table as text columns (an empty cell is missing; an absent optional file or column is
    empty), and the SHA-256 of every file read (what a decision record names as its data)."""
    tables: dict[str, pd.DataFrame] = {}
    digests: dict[str, str] = {}
    for name, columns in TABLES.items():
        path = Path(data_dir) / f"{name}.csv"
        wanted = columns + OPTIONAL.get(name, [])
        if not path.is_file():
            if name == "providers":
                raise ValueError(f"{path}: the bundle has no providers table")
            tables[name] = pd.DataFrame({c: pd.Series([], dtype="string") for c in wanted})
            continue
        data = path.read_bytes()
        digests[path.name] = hashlib.sha256(data).hexdigest()
        frame = pd.read_csv(io.BytesIO(data), dtype="string", engine="pyarrow", keep_default_na=False, na_values=[""])
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise ValueError(f"{path.name}: required column(s) missing: {', '.join(missing)}")
        for c in OPTIONAL.get(name, []):
            if c not in frame.columns:
                frame[c] = pd.Series(pd.NA, index=frame.index, dtype="string")
        tables[name] = frame
    return tables, digests


# ---------------------------------------------------------------------------- validation

CODE = r"^[A-Z0-9]{3,5}$"
NUMBER = r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"
DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
SECTORS = ["acute", "mental_health", "community", "ambulance", "specialist", "online"]
YES_NO = ["yes", "no", "true", "false", "1", "0"]
PERCENT_MEASURES = ("ae_4h", "cancer_62d", "cancer_31d", "cancer_fds")
NUMBER_MEASURES = ("surplus_margin",)


def _bad_dates(s: pd.Series) -> pd.Series:
    """Cells that are given but not a real YYYY-MM-DD day."""
    given = s.notna()
    ok = s.str.fullmatch(DATE).fillna(False) & _dates_or_nat(s).notna()
    return given & ~ok


def _dates_or_nat(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s, format="%Y-%m-%d", errors="coerce")


def _numbers(s: pd.Series) -> pd.Series:
    """Finite decimals as floats; NaN where a cell is empty or not a number."""
    return s.where(s.str.fullmatch(NUMBER).fillna(False)).astype("float64")


def validate(t: dict[str, pd.DataFrame]) -> list[str]:
    """The bundle's errors (empty when valid): the checks of docs/data-bundle.md for the tables this
    policy reads, each as ``table: problem (n rows)``."""
    problems: list[str] = []

    def check(table: str, bad: pd.Series, what: str) -> None:
        n = int(bad.fillna(False).to_numpy(dtype=bool).sum())  # a comparison with a missing cell is no problem
        if n:
            problems.append(f"{table}: {what} ({n} rows)")

    p, o, st, a, cov = (t[k] for k in ("providers", "observations", "statuses", "arrangements", "coverage"))
    codes = p["code"]
    check("providers", ~codes.str.fullmatch(CODE).fillna(False), "code not an organisation code")
    check("providers", codes.duplicated(keep=False) & codes.notna(), "provider code appears more than once")
    check("providers", p["sector"].notna() & ~p["sector"].isin(SECTORS), "sector not one of its members")
    check("providers", p["foundation_trust"].notna() & ~p["foundation_trust"].str.lower().isin(YES_NO), "not yes/no")
    known = pd.Index(codes.dropna().unique())

    # observations
    for col in ("code", "measure", "period_end"):
        check("observations", o[col].isna(), f"{col}: a value is required")
    check("observations", o["code"].notna() & ~o["code"].isin(known), "no provider with this code")
    check("observations", _bad_dates(o["period_end"]), "period_end not a date")
    value = o["value"]
    is_rating = o["measure"].isin(RATING_MEASURES).to_numpy(dtype=bool)
    is_pct = o["measure"].isin(PERCENT_MEASURES).to_numpy(dtype=bool)
    is_num = is_pct | o["measure"].isin(NUMBER_MEASURES).to_numpy(dtype=bool)
    num = _numbers(value)
    given = value.notna().to_numpy(dtype=bool)
    check("observations", pd.Series(given & is_rating & ~value.isin(RATING).to_numpy(dtype=bool)), "not a rating")
    check("observations", pd.Series(given & is_num & num.isna().to_numpy()), "not a number")
    check("observations", pd.Series(is_pct & ((num < 0) | (num > 1)).to_numpy()), "percent outside [0, 1]")
    # the same (code, measure, period_end) with different values (0.9 and 0.90 are one value)
    text = value.where(~pd.Series(is_num, index=o.index))
    key = pd.DataFrame({"c": o["code"], "m": o["measure"], "d": o["period_end"], "t": text, "n": num})
    conflict = key.drop_duplicates().duplicated(["c", "m", "d"], keep=False)
    check("observations", conflict, "conflicting values for one provider, measure and date")
    # counts: non-negative numbers, both or neither, numerator <= denominator
    n_text, d_text = o["numerator"], o["denominator"]
    n, d = _numbers(n_text), _numbers(d_text)
    bad_count = (n_text.notna() & (n.isna() | (n < 0))) | (d_text.notna() & (d.isna() | (d < 0)))
    check("observations", bad_count, "a count is not a non-negative number")
    check("observations", n_text.notna() != d_text.notna(), "a numerator and its denominator come in pairs")
    check("observations", n > d, "numerator above its denominator")

    # statuses and coverage
    for name, frame in (("statuses", st), ("coverage", cov)):
        for col in ("status", "start"):
            check(name, frame[col].isna(), f"{col}: a value is required")
        check(name, _bad_dates(frame["start"]) | _bad_dates(frame["end"]), "not a date")
        check(name, _dates_or_nat(frame["end"]) < _dates_or_nat(frame["start"]), "end is before start")
    check("statuses", st["code"].isna() | ~st["code"].isin(known), "no provider with this code")

    # arrangements (lead, recipient, form and start may be empty: not known)
    for col in ("lead", "recipient"):
        check("arrangements", a[col].notna() & ~a[col].isin(known), f"{col}: no provider with this code")
    check("arrangements", a["lead"].notna() & (a["lead"] == a["recipient"]), "lead and recipient are the same")
    check("arrangements", _bad_dates(a["start"]) | _bad_dates(a["end"]), "not a date")
    check("arrangements", _dates_or_nat(a["end"]) < _dates_or_nat(a["start"]), "end is before start")
    if a["parties"].notna().any():
        listed = a["parties"].str.split()
        few = listed.map(lambda x: isinstance(x, list) and len(x) < 2)
        out = [
            isinstance(ps, list) and ((isinstance(le, str) and le not in ps) or (isinstance(r, str) and r not in ps))
            for ps, le, r in zip(listed, a["lead"], a["recipient"], strict=True)
        ]
        check("arrangements", few | pd.Series(out, index=a.index), "lead or recipient not among the parties")
    return problems


def _dates(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s, format="%Y-%m-%d")


# ---------------------------------------------------------------------------- three-valued helpers


def B(x: pd.Series) -> pd.Series:
    """As a nullable (Kleene) boolean Series."""
    return x.astype("boolean")


def isin3(s: pd.Series, members: list[str]) -> pd.Series:
    """`s in (a, b)`: unknown when s is missing (pandas' isin says False)."""
    return B(s.isin(members)).mask(s.isna())


def all3(parts: list[pd.Series]) -> pd.Series:
    out = parts[0]
    for p in parts[1:]:
        out = out & p
    return out


def any3(parts: list[pd.Series]) -> pd.Series:
    out = parts[0]
    for p in parts[1:]:
        out = out | p
    return out


# ---------------------------------------------------------------------------- the baseline


def load_valid(data_dir: str | Path) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """:func:`load` and :func:`validate`; an invalid bundle raises ``ValueError`` with every problem."""
    tables, digests = load(Path(data_dir))
    problems = validate(tables)
    if problems:
        raise ValueError("the bundle is not valid:\n" + "\n".join(problems))
    return tables, digests


def provider_values(data: str | Path | dict[str, pd.DataFrame], as_of: dt.date) -> pd.DataFrame:
    """Every value the policy reads, one row per provider (index: code, sorted); ``data`` is a
    bundle folder (loaded and validated) or the tables :func:`load_valid` returned."""
    t = data if isinstance(data, dict) else load_valid(data)[0]
    ts = pd.Timestamp(as_of)
    providers, obs, statuses = t["providers"], t["observations"], t["statuses"]
    arrangements, coverage = t["arrangements"], t["coverage"]

    p = providers.set_index("code").sort_index()
    out = pd.DataFrame(index=p.index)
    for col in ("sector", "region", "ics"):
        out[col] = p[col].astype("string")
    ft = p["foundation_trust"].str.lower()
    out["foundation_trust"] = B(ft.isin(["yes", "true", "1"])).mask(~ft.isin(["yes", "true", "1", "no", "false", "0"]))

    # Observations on or before the as-of date.
    obs = obs.assign(period_end=_dates(obs["period_end"]))
    obs = obs[obs["period_end"] <= ts]

    # Latest value of each measure: the observation with the greatest period_end (an empty
    # cell there makes the value missing; it does not fall back to an earlier one).
    latest_measures = list(RATING_MEASURES + LATEST_PERCENTS)
    lat = obs[obs["measure"].isin(latest_measures)]
    newest = lat.groupby(["code", "measure"])["period_end"].transform("max")
    lat = lat[lat["period_end"] == newest].drop_duplicates(["code", "measure"], keep="first")
    wide = lat.pivot(index="code", columns="measure", values="value").reindex(index=out.index)
    for m in RATING_MEASURES:
        col = wide[m] if m in wide else pd.Series(pd.NA, index=out.index, dtype="string")
        out[m] = col.map(RATING, na_action="ignore").astype("Float64")
    for m in LATEST_PERCENTS:
        col = wide[m] if m in wide else pd.Series(pd.NA, index=out.index, dtype="string")
        out[m] = pd.to_numeric(col).astype("Float64")

    # Window aggregates: observations dated after (as_of - N months), on or before as_of.
    # An empty window, or an empty cell inside it, makes the mean / min missing.
    def window(measure: str, months: int, how: str) -> pd.Series:
        start = ts - pd.DateOffset(months=months)
        w = obs[(obs["measure"] == measure) & (obs["period_end"] > start)]
        num = pd.to_numeric(w["value"]).astype("float64")
        agg = num.groupby(w["code"]).agg(how)
        agg[num.isna().groupby(w["code"]).any()] = np.nan
        return agg.reindex(out.index).astype("Float64")

    out["mean_ae_4h_3y"] = window("ae_4h", AE_WINDOW_MONTHS, "mean")
    out["min_surplus_margin_2y"] = window("surplus_margin", SURPLUS_WINDOW_MONTHS, "min")

    # Statuses active on the as-of date: start <= as_of and end empty or after as_of.
    st_start, st_end = _dates(statuses["start"]), _dates(statuses["end"])
    active = statuses[(st_start <= ts) & (st_end.isna() | (st_end > ts))]

    def among(codes: pd.Series) -> pd.Series:
        """True for the providers listed in ``codes``."""
        return B(pd.Series(out.index.isin(codes), index=out.index))

    # Open world: a provider with no active row is "not in" the status only on a date a coverage
    # row declares the status's list complete; on any other date it is not known (NA).
    cov_start, cov_end = _dates(coverage["start"]), _dates(coverage["end"])
    covering = coverage.loc[(cov_start <= ts) & (cov_end.isna() | (cov_end > ts)), "status"]
    for s in ("special_measures_quality", "special_measures_finance"):
        listed = among(active.loc[active["status"] == s, "code"])
        out[s] = listed if (covering == s).any() else listed.mask(~listed)

    # Arrangements active on the as-of date; counts by role, form and start.  An empty lead,
    # recipient, form or start is not known: a row that could be counted (its empty cells filled
    # one way or another) makes the count unknown; an empty role is one of the row's parties
    # other than the other role's organisation (any organisation without parties).
    a_start, a_end = _dates(arrangements["start"]), _dates(arrangements["end"])
    a_form = arrangements["form"]
    running = a_end.isna() | (a_end > ts)
    codes = list(out.index)

    def count(role: str, form: str | None = None, since: pd.Timestamp | None = None) -> pd.Series:
        started = a_start <= ts if since is None else (a_start <= ts) & (a_start > since)
        could = running & (a_start.isna() | started)
        if form is not None:
            could &= a_form.isna() | (a_form == form)
        who, taken = (
            (arrangements["lead"], arrangements["recipient"])
            if role == "lead"
            else (arrangements["recipient"], arrangements["lead"])
        )
        could = could.fillna(False).to_numpy(dtype=bool)
        named = who.notna().to_numpy(dtype=bool)
        cells_known = a_start.notna().to_numpy(dtype=bool).copy()
        if form is not None:
            cells_known &= a_form.notna().to_numpy(dtype=bool)
        sure = could & named & cells_known
        n = who[sure].value_counts().reindex(out.index, fill_value=0).astype("float64")
        unknown = set(who[could & named & ~cells_known])
        # an empty role: one of the row's parties other than the other role's organisation
        for i in np.flatnonzero(could & ~named):
            others = [] if pd.isna(taken.iloc[i]) else [taken.iloc[i]]
            parties = arrangements["parties"].iloc[i]
            if pd.isna(parties):
                candidates, known = [c for c in codes if c not in others], False
            else:
                listed = [c for c in str(parties).split() if c not in others]
                candidates, known = listed, len(listed) == 1
            candidates = [c for c in candidates if c in n.index]
            if known and cells_known[i]:
                n[candidates] += 1
            else:
                unknown.update(candidates)
        result = n.astype("Float64")
        result[sorted(c for c in unknown if c in result.index)] = pd.NA
        return result

    out["led_count"] = count("lead")
    grace_start = ts - pd.DateOffset(months=GRACE_PERIOD_MONTHS)
    for f in GRACE_FORMS:
        out[f"leads_{f}_in_grace"] = B(count("lead", f, grace_start) >= 1)
    out["receives_chain_group"] = B(count("recipient", "chain_group") >= 1)
    return out


def decide(v: pd.DataFrame, as_of: dt.date) -> dict[str, pd.Series]:
    """Every per-provider subject as a Kleene boolean Series (NA = undetermined)."""
    prm = params(as_of)
    overall, well_led = v["cqc_overall"], v["cqc_well_led"]
    smq, smf = v["special_measures_quality"], v["special_measures_finance"]
    sector = v["sector"]

    # criteria
    rated_good_overall = B(overall >= GOOD)
    well_led_good = B(well_led >= GOOD)
    no_inadequate_question = all3([B(v[q] > INADEQUATE) for q in KEY_QUESTIONS])
    good_in_every_question = all3([B(v[q] >= GOOD) for q in KEY_QUESTIONS])
    outstanding_care_or_leadership = B(overall == OUTSTANDING) | B(well_led == OUTSTANDING)
    in_grace_period = any3([v[f"leads_{f}_in_grace"] for f in GRACE_FORMS])
    meets_access_standards = (B(sector != "acute") | B(v["mean_ae_4h_3y"] >= prm["ae_standard"])) | in_grace_period
    meets_cancer_standards = (
        isin3(sector, ["mental_health", "community", "ambulance", "online"])
        | (B(v["cancer_62d"] >= prm["cancer_62d_standard"]) & B(v["cancer_31d"] >= prm["cancer_31d_standard"]))
    ) | in_grace_period
    has_capacity = B(v["led_count"] < MAX_LED_ARRANGEMENTS)
    financially_resilient = ~smf & B(v["min_surplus_margin_2y"] >= 0)
    needs_quality_support = smq | B(overall <= REQUIRES_IMPROVEMENT)
    leadership_failure = smq | B(overall == INADEQUATE) | B(well_led == INADEQUATE)

    # credentials
    supporter = rated_good_overall & well_led_good & no_inadequate_question & ~smq
    partner = supporter & good_in_every_question & meets_access_standards & ~smf
    group_leader = partner & outstanding_care_or_leadership & meets_cancer_standards

    high_lead = group_leader & has_capacity
    weak_leadership = needs_quality_support & B(well_led <= REQUIRES_IMPROVEMENT)
    clinical_need = any3([B(v[q] <= REQUIRES_IMPROVEMENT) for q in ("cqc_safe", "cqc_effective", "cqc_responsive")]) | (
        B(sector == "acute")
        & (B(v["cancer_62d"] < prm["cancer_62d_standard"]) | B(v["cancer_fds"] < prm["fds_standard"]))
    )
    return {
        "credential:supporter": supporter,
        "credential:partner": partner,
        "credential:group_leader": group_leader,
        "form:buddying:lead": supporter,
        "form:buddying:recipient": needs_quality_support,
        "form:clinical_network:lead": supporter,
        "form:clinical_network:recipient": clinical_need,
        "form:shared_services:lead": partner,
        "form:shared_services:recipient": ~supporter | smf,
        "form:joint_venture:lead": partner,
        "form:joint_venture:recipient": needs_quality_support | smf,
        "form:management_contract:lead": high_lead,
        "form:management_contract:recipient": leadership_failure | smf,
        "form:franchise:lead": high_lead,
        "form:franchise:recipient": weak_leadership,
        "form:chain_group:lead": high_lead,
        "form:chain_group:recipient": ~partner & ~v["receives_chain_group"],
        "form:integrated_care_organisation:lead": high_lead,
        "form:integrated_care_organisation:recipient": isin3(sector, ["community", "mental_health"]),
        "form:merger_acquisition:lead": high_lead & v["foundation_trust"] & financially_resilient,
        "form:merger_acquisition:recipient": leadership_failure | smf | weak_leadership,
    }


def outcomes(values: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """The decisions on :func:`provider_values` as a long (provider, subject, outcome) frame, sorted."""
    subjects = decide(values, as_of)
    wide = pd.DataFrame({s: subjects[s] for s in sorted(subjects)}, index=values.index)
    long = wide.reset_index(names="provider").melt(id_vars="provider", var_name="subject", value_name="truth")
    truth = long["truth"].astype("boolean")
    outcome = np.where(truth.isna(), "undetermined", np.where(truth.fillna(False), "granted", "refused"))
    result = pd.DataFrame({"provider": long["provider"].astype(str), "subject": long["subject"], "outcome": outcome})
    return result.sort_values(["provider", "subject"], kind="stable").reset_index(drop=True)


def run_baseline(data_dir: str | Path, as_of: dt.date) -> pd.DataFrame:
    """(provider, subject, outcome) for every provider and per-provider subject, sorted
    (the bundle loaded, digested and validated first)."""
    tables, _digests = load_valid(data_dir)
    return outcomes(provider_values(tables, as_of), as_of)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("data", type=Path, help="a bundle folder of CSV files")
    ap.add_argument("--as-of", required=True, type=dt.date.fromisoformat, help="YYYY-MM-DD")
    ap.add_argument("--output", type=Path, default=None, help="CSV to write (default: stdout)")
    args = ap.parse_args(argv)
    t = time.perf_counter()
    result = run_baseline(args.data, args.as_of)
    if args.output is None:
        result.to_csv(sys.stdout, index=False, lineterminator="\n")
    else:
        result.to_csv(args.output, index=False, lineterminator="\n")
        print(f"wrote {len(result)} outcomes to {args.output} in {time.perf_counter() - t:.2f}s", file=sys.stderr)


if __name__ == "__main__":
    main()
