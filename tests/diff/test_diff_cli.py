"""``credential diff`` on the command line: output formats, exit codes, help."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner
from diffcases import AS_OF, BASE, OBSERVATIONS, PROVIDERS, variant

from credential.cli import cli
from credential.diffing.diff import diff_policies

Write = Callable[[str, str], Path]
NEW = variant(("param threshold = 80%", "param threshold = 86%"))


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["diff", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_text_output(write_policy: Write, bundle_dir: Path) -> None:
    old, new = write_policy("old", BASE), write_policy("new", NEW)
    code, out, _ = invoke(str(old), str(new), "--data", str(bundle_dir), "--as-of", AS_OF.isoformat())
    assert code == 0  # a diff is not a failure
    assert out.startswith("credential diff: base 1 → base 1, as of 2025-06-30\n")
    assert "5 providers; 35 decisions before, 35 after; 3 changed\n" in out
    assert re.search(r"^  credential:silver +1  granted → refused 1$", out, re.MULTILINE)
    assert re.search(r"^  param threshold +3$", out, re.MULTILINE)
    assert "      80% → 86% (in force on 2025-06-30)" in out
    assert (
        "credential:silver: 1 change\n"
        "  granted → refused (1)\n"
        "    because param threshold: 80% → 86% (`score >= threshold`: true → false)\n"
        "      RB2  Beta Trust\n"
    ) in out


def test_json_output_is_the_api_result(write_policy: Write, bundle_dir: Path) -> None:
    old, new = write_policy("old", BASE), write_policy("new", NEW)
    code, out, _ = invoke(
        str(old), str(new), "--data", str(bundle_dir), "--as-of", AS_OF.isoformat(), "--format", "json"
    )
    assert code == 0
    payload = json.loads(out)
    assert payload == diff_policies(old, new, bundle_dir, AS_OF).to_json_dict()
    assert payload["decisions"] == {"old": 35, "new": 35, "changed": 3}
    subjects = [c["subject"] for c in payload["changes"]]
    assert subjects == ["credential:gold", "credential:silver", "form:merger:lead"]
    assert payload["changes"][0]["causes"] == [
        {
            "declaration": "param:threshold",
            "providers": ["RB2"],
            "old": "80%",
            "new": "86%",
            "via": ["`score >= threshold`: true → false"],
        }
    ]


def test_no_changes_still_exit_0(write_policy: Write, bundle_dir: Path) -> None:
    old = write_policy("old", BASE)
    code, out, _ = invoke(str(old), str(old), "--data", str(bundle_dir), "--as-of", AS_OF.isoformat())
    assert code == 0
    assert "; 0 changed\n" in out and "(none: the two versions mean the same)" in out


def test_policy_errors_exit_1(write_policy: Write, bundle_dir: Path) -> None:
    old = write_policy("old", BASE)
    bad = write_policy("bad", variant(("requires good_quality\n", "requires good_qualty\n")))
    code, out, err = invoke(str(old), str(bad), "--data", str(bundle_dir))
    assert code == 1 and out == ""
    assert "error[check.unknown-name]" in err


def test_data_errors_exit_3(write_policy: Write, tmp_path: Path) -> None:
    data = tmp_path / "bad_bundle"
    data.mkdir()
    (data / "providers.csv").write_text(PROVIDERS, encoding="utf-8")
    (data / "observations.csv").write_text(OBSERVATIONS + "RA1,score,2025-04-30,lots\n", encoding="utf-8")
    old, new = str(write_policy("old", BASE)), str(write_policy("new", NEW))
    code, out, err = invoke(old, new, "--data", str(data))
    assert code == 3 and out == ""
    assert "error[data." in err
    # with quarantine the bad row is set aside (a warning) and the diff runs
    code, out, err = invoke(old, new, "--data", str(data), "--as-of", AS_OF.isoformat(), "--on-invalid", "quarantine")
    assert code == 0 and "credential diff:" in out


def test_usage_errors_exit_2(write_policy: Write, tmp_path: Path) -> None:
    old = write_policy("old", BASE)
    assert invoke(str(old), str(tmp_path / "missing.cred"))[0] == 2
    assert invoke(str(old), str(old), "--as-of", "22/11/2026")[0] == 2
    assert invoke(str(old))[0] == 2
    assert invoke(str(old), str(old), "--format", "yaml")[0] == 2


def test_help_has_an_example() -> None:
    code, out, _ = invoke("--help")
    assert code == 0
    assert "Example:" in out
    assert "credential diff policies/dalton_2014.cred policies/dalton_2017.cred --as-of 2026-11-22" in out
