"""A hand-written DuckDB SQL implementation of the benchmark policy (the scale benchmark's second peer).

What an analyst who knows SQL would write *without* the credential engine: load the bundle's CSV
files into DuckDB as text, hash them (the digests a decision record carries), validate them (the
checks of docs/data-bundle.md for the tables the policy reads, in SQL), derive each
provider's values as of a date with window functions and aggregates, and apply the policy's
criteria, credentials and form roles in SQL. SQL's ``NULL`` booleans follow Kleene's three-valued
tables for ``AND``, ``OR`` and ``NOT``, so "undetermined" is simply ``NULL`` (an open-world status
off its coverage, a count an arrangement with empty cells could change). The parameters are
written in by hand, as in ``bench/pandas_baseline.py``, which implements the same policy
(``bench/policy/dalton_2014_v1.cred``) the same way in pandas; the two peers and the engine must
agree (``tests/bench/test_pandas_baseline.py``).

Usage::

    python bench/duckdb_baseline.py DATA --as-of 2026-11-22 --output outcomes.csv
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd

GRACE_FORMS = ("management_contract", "franchise", "chain_group", "integrated_care_organisation", "merger_acquisition")
TABLES = {
    "providers": ["code", "name", "sector", "region", "ics", "foundation_trust"],
    "observations": ["code", "measure", "period_end", "value", "numerator", "denominator"],
    "statuses": ["code", "status", "start", "end"],
    "arrangements": ["lead", "recipient", "form", "start", "end", "parties"],
    "coverage": ["status", "start", "end"],
}
OPTIONAL = {"parties", "numerator", "denominator"}  # columns a bundle may leave out (read as empty cells)


def _stepped(as_of: dt.date, default: float, steps: list[tuple[str, float]]) -> float:
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


def digests(data_dir: Path) -> dict[str, str]:
    """SHA-256 of every table file read (what a decision record names as its data)."""
    out = {}
    for name in TABLES:
        path = data_dir / f"{name}.csv"
        if path.is_file():
            out[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _load(con: duckdb.DuckDBPyConnection, data_dir: Path) -> None:
    for name, columns in TABLES.items():
        path = data_dir / f"{name}.csv"
        cols = ", ".join(f'"{c}" VARCHAR' for c in columns)
        con.execute(f'CREATE TABLE "{name}" ({cols})')
        if path.is_file() and path.stat().st_size:
            # every column as text, the empty cell as NULL (what an analyst would ask read_csv for);
            # an optional column the file leaves out is NULL
            with path.open(encoding="utf-8", newline="") as f:
                header = next(csv.reader(f), [])
            picked = ", ".join(f'"{c}"' if c in header or c not in OPTIONAL else f'NULL AS "{c}"' for c in columns)
            con.execute(
                f'INSERT INTO "{name}" SELECT {picked} '
                "FROM read_csv(?, header = true, all_varchar = true, nullstr = '')",
                [str(path)],
            )


# Validation: the checks of docs/data-bundle.md for the tables this policy reads, one count of
# offending rows per check (a bundle is valid when every count is 0).
VALIDATION = """
WITH
num AS MATERIALIZED (SELECT *, CASE WHEN regexp_full_match(value, '[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?')
                       THEN CAST(value AS DOUBLE) END AS v,
               CASE WHEN regexp_full_match(numerator, '[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?')
                       THEN CAST(numerator AS DOUBLE) END AS n,
               CASE WHEN regexp_full_match(denominator, '[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?')
                       THEN CAST(denominator AS DOUBLE) END AS d,
               measure IN ('ae_4h', 'cancer_62d', 'cancer_31d', 'cancer_fds') AS pct,
               measure IN ('ae_4h', 'cancer_62d', 'cancer_31d', 'cancer_fds', 'surplus_margin') AS numeric
        FROM observations)
SELECT 'providers: code not an organisation code', count(*) FROM providers
  WHERE code IS NULL OR NOT regexp_full_match(code, '[A-Z0-9]{3,5}')
UNION ALL SELECT 'providers: provider code appears more than once', count(*) FROM
  (SELECT code FROM providers WHERE code IS NOT NULL GROUP BY code HAVING count(*) > 1)
UNION ALL SELECT 'providers: sector not one of its members', count(*) FROM providers
  WHERE sector NOT IN ('acute', 'mental_health', 'community', 'ambulance', 'specialist', 'online')
UNION ALL SELECT 'providers: foundation_trust not yes/no', count(*) FROM providers
  WHERE lower(foundation_trust) NOT IN ('yes', 'no', 'true', 'false', '1', '0')
UNION ALL SELECT 'observations: code, measure or period_end empty', count(*) FROM observations
  WHERE code IS NULL OR measure IS NULL OR period_end IS NULL
UNION ALL SELECT 'observations: no provider with this code', count(*) FROM observations
  WHERE code NOT IN (SELECT code FROM providers WHERE code IS NOT NULL)
UNION ALL SELECT 'observations: period_end not a date', count(*) FROM observations
  WHERE NOT regexp_full_match(period_end, '[0-9]{4}-[0-9]{2}-[0-9]{2}') OR try_strptime(period_end, '%Y-%m-%d') IS NULL
UNION ALL SELECT 'observations: not a rating', count(*) FROM observations
  WHERE measure IN ('cqc_overall', 'cqc_safe', 'cqc_effective', 'cqc_caring', 'cqc_responsive', 'cqc_well_led')
    AND value NOT IN ('inadequate', 'requires_improvement', 'good', 'outstanding')
UNION ALL SELECT 'observations: not a number', count(*) FROM num WHERE numeric AND value IS NOT NULL AND v IS NULL
UNION ALL SELECT 'observations: percent outside [0, 1]', count(*) FROM num WHERE pct AND (v < 0 OR v > 1)
UNION ALL SELECT 'observations: conflicting values for one provider, measure and date', count(*) FROM (
  SELECT code, measure, period_end FROM num
  GROUP BY code, measure, period_end
  HAVING (bool_and(numeric) AND min(v) <> max(v)) OR (NOT bool_and(numeric) AND min(value) <> max(value))
      OR (count(*) > count(value) AND count(value) > 0))
UNION ALL SELECT 'observations: a count is not a non-negative number', count(*) FROM num
  WHERE (numerator IS NOT NULL AND (n IS NULL OR n < 0)) OR (denominator IS NOT NULL AND (d IS NULL OR d < 0))
UNION ALL SELECT 'observations: a numerator and its denominator come in pairs', count(*) FROM num
  WHERE (numerator IS NULL) <> (denominator IS NULL)
UNION ALL SELECT 'observations: numerator above its denominator', count(*) FROM num WHERE n > d
UNION ALL SELECT 'statuses: code, status or start empty', count(*) FROM statuses
  WHERE code IS NULL OR status IS NULL OR start IS NULL
UNION ALL SELECT 'statuses: no provider with this code', count(*) FROM statuses
  WHERE code NOT IN (SELECT code FROM providers WHERE code IS NOT NULL)
UNION ALL SELECT 'coverage: status or start empty', count(*) FROM coverage WHERE status IS NULL OR start IS NULL
UNION ALL SELECT 'statuses, arrangements, coverage: not a date, or end before start', count(*) FROM (
  SELECT start, "end" FROM statuses UNION ALL SELECT start, "end" FROM arrangements
  UNION ALL SELECT start, "end" FROM coverage)
  WHERE (start IS NOT NULL AND (NOT regexp_full_match(start, '[0-9]{4}-[0-9]{2}-[0-9]{2}')
                                OR try_strptime(start, '%Y-%m-%d') IS NULL))
     OR ("end" IS NOT NULL AND (NOT regexp_full_match("end", '[0-9]{4}-[0-9]{2}-[0-9]{2}')
                                OR try_strptime("end", '%Y-%m-%d') IS NULL))
     OR try_strptime("end", '%Y-%m-%d') < try_strptime(start, '%Y-%m-%d')
UNION ALL SELECT 'arrangements: no provider with this code', count(*) FROM arrangements
  WHERE lead NOT IN (SELECT code FROM providers WHERE code IS NOT NULL)
     OR recipient NOT IN (SELECT code FROM providers WHERE code IS NOT NULL)
UNION ALL SELECT 'arrangements: lead and recipient are the same', count(*) FROM arrangements WHERE lead = recipient
UNION ALL SELECT 'arrangements: lead or recipient not among the parties', count(*) FROM arrangements
  WHERE parties IS NOT NULL AND (len(string_split(parties, ' ')) < 2
     OR NOT list_contains(string_split(parties, ' '), coalesce(lead, string_split(parties, ' ')[1]))
     OR NOT list_contains(string_split(parties, ' '), coalesce(recipient, string_split(parties, ' ')[1])))
"""


def validate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The loaded bundle's errors (empty when valid), each as ``table: problem (n rows)``."""
    return [f"{what} ({n} rows)" for what, n in con.execute(VALIDATION).fetchall() if n]


# The whole policy as one query. `$as_of` and the parameters are bound, never formatted in.
QUERY = """
WITH
p AS (
  SELECT code, sector, region, ics,
         CASE WHEN lower(foundation_trust) IN ('yes', 'true', '1') THEN TRUE
              WHEN lower(foundation_trust) IN ('no', 'false', '0') THEN FALSE END AS foundation_trust
  FROM providers
),
o AS (
  SELECT code, measure, CAST(period_end AS DATE) AS period_end, value
  FROM observations WHERE CAST(period_end AS DATE) <= $as_of
),
latest AS (  -- the value at each provider's greatest period_end (an empty cell there stays missing)
  SELECT code, measure, min(value) AS value FROM (
    SELECT *, max(period_end) OVER (PARTITION BY code, measure) AS newest FROM o
    WHERE measure IN ('cqc_overall', 'cqc_safe', 'cqc_effective', 'cqc_caring', 'cqc_responsive', 'cqc_well_led',
                      'cancer_62d', 'cancer_31d', 'cancer_fds')
  ) WHERE period_end = newest GROUP BY code, measure
),
wide AS (
  SELECT code,
    max(CASE WHEN measure = 'cqc_overall' THEN r END) AS cqc_overall,
    max(CASE WHEN measure = 'cqc_safe' THEN r END) AS cqc_safe,
    max(CASE WHEN measure = 'cqc_effective' THEN r END) AS cqc_effective,
    max(CASE WHEN measure = 'cqc_caring' THEN r END) AS cqc_caring,
    max(CASE WHEN measure = 'cqc_responsive' THEN r END) AS cqc_responsive,
    max(CASE WHEN measure = 'cqc_well_led' THEN r END) AS cqc_well_led,
    max(CASE WHEN measure = 'cancer_62d' THEN CAST(value AS DOUBLE) END) AS cancer_62d,
    max(CASE WHEN measure = 'cancer_31d' THEN CAST(value AS DOUBLE) END) AS cancer_31d,
    max(CASE WHEN measure = 'cancer_fds' THEN CAST(value AS DOUBLE) END) AS cancer_fds
  FROM (SELECT *, CASE value WHEN 'inadequate' THEN 0 WHEN 'requires_improvement' THEN 1
                             WHEN 'good' THEN 2 WHEN 'outstanding' THEN 3 END AS r FROM latest)
  GROUP BY code
),
windows AS (  -- mean / min over (as_of - N months, as_of]; an empty cell in the window makes it missing
  SELECT code,
    CASE WHEN bool_or(measure = 'ae_4h' AND value IS NULL) THEN NULL
         ELSE avg(CAST(value AS DOUBLE)) FILTER (WHERE measure = 'ae_4h') END AS mean_ae_4h_3y,
    CASE WHEN bool_or(measure = 'surplus_margin' AND value IS NULL AND period_end > $surplus_start) THEN NULL
         ELSE min(CAST(value AS DOUBLE)) FILTER (WHERE measure = 'surplus_margin' AND period_end > $surplus_start)
    END AS min_surplus_margin_2y
  FROM o WHERE (measure = 'ae_4h' AND period_end > $ae_start) OR measure = 'surplus_margin'
  GROUP BY code
),
st AS (  -- statuses, open world: absent from a list is "not in" only where coverage says the list is complete
  SELECT code, bool_or(status = 'special_measures_quality') AS smq, bool_or(status = 'special_measures_finance') AS smf
  FROM statuses
  WHERE CAST(start AS DATE) <= $as_of AND ("end" IS NULL OR CAST("end" AS DATE) > $as_of)
  GROUP BY code
),
covered AS (
  SELECT bool_or(status = 'special_measures_quality') AS smq, bool_or(status = 'special_measures_finance') AS smf
  FROM coverage
  WHERE CAST(start AS DATE) <= $as_of AND ("end" IS NULL OR CAST("end" AS DATE) > $as_of)
),
arr AS (  -- arrangements still running; an empty lead, recipient, form or start is not known
  SELECT row_number() OVER () AS rid, lead, recipient, form, CAST(start AS DATE) AS start, parties
  FROM arrangements WHERE "end" IS NULL OR CAST("end" AS DATE) > $as_of
),
party AS (SELECT rid, unnest(string_split(parties, ' ')) AS code FROM arr WHERE parties IS NOT NULL),
cand AS (  -- who each row could name in each role, and whether that is certain
  SELECT 'lead' AS role, rid, lead AS code, TRUE AS sure FROM arr WHERE lead IS NOT NULL
  UNION ALL SELECT 'recipient', rid, recipient, TRUE FROM arr WHERE recipient IS NOT NULL
  UNION ALL
  SELECT role, rid, code, count(*) OVER (PARTITION BY role, rid) = 1 FROM (
    SELECT 'lead' AS role, arr.rid, party.code FROM arr JOIN party USING (rid)
    WHERE arr.lead IS NULL AND party.code IS DISTINCT FROM arr.recipient
    UNION ALL
    SELECT 'recipient', arr.rid, party.code FROM arr JOIN party USING (rid)
    WHERE arr.recipient IS NULL AND party.code IS DISTINCT FROM arr.lead)
  UNION ALL
  SELECT 'lead', arr.rid, providers.code, FALSE FROM arr, providers
  WHERE arr.lead IS NULL AND arr.parties IS NULL AND providers.code IS DISTINCT FROM arr.recipient
  UNION ALL
  SELECT 'recipient', arr.rid, providers.code, FALSE FROM arr, providers
  WHERE arr.recipient IS NULL AND arr.parties IS NULL AND providers.code IS DISTINCT FROM arr.lead
),
c AS (SELECT cand.role, cand.code, cand.sure, arr.form, arr.start FROM cand JOIN arr USING (rid)),
counts AS (  -- per count: rows that surely count, and whether a row could count had its empty cells values
  SELECT code,
    count(*) FILTER (WHERE role = 'lead' AND start <= $as_of AND sure) AS led_n,
    bool_or(role = 'lead' AND (start IS NULL OR start <= $as_of) AND NOT (sure AND start IS NOT NULL)) AS led_unk,
    count(*) FILTER (WHERE role = 'recipient' AND form = 'chain_group' AND start <= $as_of AND sure) AS rcg_n,
    bool_or(role = 'recipient' AND (form IS NULL OR form = 'chain_group') AND (start IS NULL OR start <= $as_of)
            AND NOT (sure AND start IS NOT NULL AND form IS NOT NULL)) AS rcg_unk
  FROM c GROUP BY code
),
grace AS (  -- `leads arrangement as F started within grace_period`, one count per form
  SELECT code, f,
    count(*) FILTER (WHERE form = f AND start <= $as_of AND start > $grace_start AND sure) AS n,
    bool_or((form IS NULL OR form = f) AND (start IS NULL OR (start <= $as_of AND start > $grace_start))
            AND NOT (sure AND start IS NOT NULL AND form IS NOT NULL)) AS unk
  FROM c, (SELECT unnest(['management_contract', 'franchise', 'chain_group', 'integrated_care_organisation',
                          'merger_acquisition']) AS f)
  WHERE role = 'lead' GROUP BY code, f
),
in_grace AS (  -- Kleene OR over the forms: true if one surely counts, unknown if one could
  SELECT code, bool_or(n >= 1 AND NOT unk) AS yes, bool_or(unk) AS maybe FROM grace GROUP BY code
),
v AS (
  SELECT p.*, wide.* EXCLUDE (code), windows.* EXCLUDE (code),
         CASE WHEN st.smq THEN TRUE WHEN covered.smq THEN FALSE END AS smq,
         CASE WHEN st.smf THEN TRUE WHEN covered.smf THEN FALSE END AS smf,
         CASE WHEN counts.led_unk THEN NULL ELSE coalesce(counts.led_n, 0) END AS led_count,
         CASE WHEN in_grace.yes THEN TRUE WHEN in_grace.maybe THEN NULL ELSE FALSE END AS in_grace,
         CASE WHEN counts.rcg_unk THEN NULL ELSE coalesce(counts.rcg_n, 0) >= 1 END AS receives_chain_group
  FROM p CROSS JOIN covered LEFT JOIN wide USING (code) LEFT JOIN windows USING (code) LEFT JOIN st USING (code)
         LEFT JOIN counts USING (code) LEFT JOIN in_grace USING (code)
),
criteria AS (
  SELECT *,
    cqc_overall >= 2 AS rated_good_overall,
    cqc_well_led >= 2 AS well_led_good,
    cqc_safe > 0 AND cqc_effective > 0 AND cqc_caring > 0 AND cqc_responsive > 0 AND cqc_well_led > 0
      AS no_inadequate_question,
    cqc_safe >= 2 AND cqc_effective >= 2 AND cqc_caring >= 2 AND cqc_responsive >= 2 AND cqc_well_led >= 2
      AS good_in_every_question,
    cqc_overall = 3 OR cqc_well_led = 3 AS outstanding_care_or_leadership,
    (sector <> 'acute' OR mean_ae_4h_3y >= $ae_standard) OR in_grace AS meets_access_standards,
    (sector IN ('mental_health', 'community', 'ambulance', 'online')
      OR (cancer_62d >= $cancer_62d_standard AND cancer_31d >= $cancer_31d_standard)) OR in_grace
      AS meets_cancer_standards,
    led_count < 3 AS has_capacity,
    NOT smf AND min_surplus_margin_2y >= 0 AS financially_resilient,
    smq OR cqc_overall <= 1 AS needs_quality_support,
    smq OR cqc_overall = 0 OR cqc_well_led = 0 AS leadership_failure
  FROM v
),
tiers AS (
  SELECT *,
    rated_good_overall AND well_led_good AND no_inadequate_question AND NOT smq AS supporter
  FROM criteria
),
tiers2 AS (SELECT *, supporter AND good_in_every_question AND meets_access_standards AND NOT smf AS partner FROM tiers),
tiers3 AS (SELECT *, partner AND outstanding_care_or_leadership AND meets_cancer_standards AS group_leader FROM tiers2),
subjects AS (
  SELECT code,
    o(supporter) AS "credential:supporter",
    o(partner) AS "credential:partner",
    o(group_leader) AS "credential:group_leader",
    o(supporter) AS "form:buddying:lead",
    o(needs_quality_support) AS "form:buddying:recipient",
    o(supporter) AS "form:clinical_network:lead",
    o((cqc_safe <= 1 OR cqc_effective <= 1 OR cqc_responsive <= 1)
      OR (sector = 'acute' AND (cancer_62d < $cancer_62d_standard OR cancer_fds < $fds_standard)))
      AS "form:clinical_network:recipient",
    o(partner) AS "form:shared_services:lead",
    o(NOT supporter OR smf) AS "form:shared_services:recipient",
    o(partner) AS "form:joint_venture:lead",
    o(needs_quality_support OR smf) AS "form:joint_venture:recipient",
    o(group_leader AND has_capacity) AS "form:management_contract:lead",
    o(leadership_failure OR smf) AS "form:management_contract:recipient",
    o(group_leader AND has_capacity) AS "form:franchise:lead",
    o(needs_quality_support AND cqc_well_led <= 1) AS "form:franchise:recipient",
    o(group_leader AND has_capacity) AS "form:chain_group:lead",
    o(NOT partner AND NOT receives_chain_group) AS "form:chain_group:recipient",
    o(group_leader AND has_capacity) AS "form:integrated_care_organisation:lead",
    o(sector IN ('community', 'mental_health')) AS "form:integrated_care_organisation:recipient",
    o(group_leader AND has_capacity AND foundation_trust AND financially_resilient) AS "form:merger_acquisition:lead",
    o(leadership_failure OR smf OR (needs_quality_support AND cqc_well_led <= 1)) AS "form:merger_acquisition:recipient"
  FROM tiers3
)
SELECT code AS provider, subject, outcome
FROM (UNPIVOT subjects ON COLUMNS(* EXCLUDE (code)) INTO NAME subject VALUE outcome)
ORDER BY provider, subject
"""


def connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    con.execute("SET enable_progress_bar = false")
    return con


def decide(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pd.DataFrame:
    """The policy's query on the loaded bundle: (provider, subject, outcome), sorted."""
    # a three-valued truth as an outcome: NULL (unknown) is undetermined
    con.execute(
        "CREATE OR REPLACE MACRO o(t) AS "
        "CASE WHEN t IS NULL THEN 'undetermined' WHEN t THEN 'granted' ELSE 'refused' END"
    )
    ts = pd.Timestamp(as_of)
    bound = {
        "as_of": as_of,
        "ae_start": (ts - pd.DateOffset(months=36)).date(),
        "surplus_start": (ts - pd.DateOffset(months=24)).date(),
        "grace_start": (ts - pd.DateOffset(months=24)).date(),
        **params(as_of),
    }
    frame = con.execute(QUERY, bound).df()
    frame["provider"] = frame["provider"].astype(str)
    return frame.reset_index(drop=True)


def run_baseline(data_dir: str | Path, as_of: dt.date) -> pd.DataFrame:
    """(provider, subject, outcome) for every provider and per-provider subject, sorted (the bundle
    digested, loaded and validated first; an invalid one raises ``ValueError``)."""
    data_dir = Path(data_dir)
    con = connect()
    try:
        digests(data_dir)
        _load(con, data_dir)
        problems = validate(con)
        if problems:
            raise ValueError("the bundle is not valid:\n" + "\n".join(problems))
        return decide(con, as_of)
    finally:
        con.close()


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
