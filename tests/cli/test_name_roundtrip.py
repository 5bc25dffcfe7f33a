"""Any provider name (any Unicode, control characters included) survives every output format.

The name is written into the spec bundle's ``providers.csv`` (quoted as RFC 4180 says), the
bundle is evaluated, and the name is read back from JSON lines, the JSON array and CSV (undoing
the formula neutralising); the table for people shows it escaped, with no control character.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from credential.check import CheckedPolicy
from credential.escaping import csv_unneutralise, terminal_text
from credential.output.render import render

FIX = Path(__file__).resolve().parents[1] / "fixtures"
CODE = "RM3"

names = st.text(st.characters(codec="utf-8"), min_size=1, max_size=30).filter(lambda s: s.strip() != "")


@functools.lru_cache(maxsize=1)
def policy() -> CheckedPolicy:
    from credential.policy import load_policy

    return load_policy(FIX / "spec_example.cred")


def evaluate_with_name(name: str):  # type: ignore[no-untyped-def]
    import datetime as dt

    import credential

    with tempfile.TemporaryDirectory() as tmp:
        bundle = Path(tmp) / "b"
        shutil.copytree(FIX / "hand_bundle", bundle)
        with (bundle / "providers.csv").open(encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        for row in rows[1:]:
            if row[0] == CODE:
                row[1] = name
        with (bundle / "providers.csv").open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(rows)
        return credential.evaluate(policy(), bundle, as_of=dt.date(2016, 4, 1))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(names)
@example('=HYPERLINK("http://x.invalid","click")')
@example("carriage\rreturn")
@example("\x1b[2J\x1b]52;c;aGk=\x07\x00\x9b")
@example("'=already quoted")
@example("\u202eevil\u200b")
@example(' lead, "quoted"\n')
def test_any_name_round_trips_through_every_format(name: str) -> None:
    result = evaluate_with_name(name)
    jsonl = [json.loads(line) for line in render(result, "jsonl").split("\n")[:-1]]  # not splitlines: NEL
    assert {r["provider_name"] for r in jsonl if r["provider"] == CODE} == {name}
    array = json.loads(render(result, "json"))
    assert {r["provider_name"] for r in array if r["provider"] == CODE} == {name}
    for raw in (False, True):
        rows = list(csv.DictReader(io.StringIO(render(result, "csv", csv_raw=raw), newline="")))
        assert len(rows) == len(jsonl)  # no record broken by a CR, LF, quote or comma
        got = {r["provider_name"] for r in rows if r["provider"] == CODE}
        assert {name if raw else csv_unneutralise(g) for g in got} == {name}
        if not raw:
            assert not any(g.startswith(("=", "+", "-", "@", "\t", "\r")) for g in got)
    table = render(result, "table")
    assert not any((ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) < 0xA0 for c in table)
    (line,) = [ln for ln in table.split("\n") if ln.startswith(CODE + " ")]
    shown = terminal_text(name)
    assert shown[:31] in line
