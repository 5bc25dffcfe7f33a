"""``credential fmt`` and ``credential fmt --check``."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from credential.cli import cli

CANONICAL = 'policy p "t"\n  version "1"\n  effective 2015-01-01\n\nmeasure m: number\n'
MESSY = 'policy   p "t"\n version "1"\n effective 2015-01-01\nmeasure m:number\n'
BROKEN = 'policy p "t"\n  version "1"\ncriterion c\n  requires (m\n'


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["fmt", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def test_fmt_rewrites_only_files_that_change(tmp_path: Path) -> None:
    messy = write(tmp_path, "messy.cred", MESSY)
    canonical = write(tmp_path, "canonical.cred", CANONICAL)
    before = canonical.stat().st_mtime_ns
    code, out, err = run(str(messy), str(canonical))
    assert code == 0
    assert messy.read_text(encoding="utf-8") == CANONICAL
    assert canonical.stat().st_mtime_ns == before
    assert out == f"reformatted {messy}\n"
    assert "1 file(s) reformatted, 1 unchanged" in err
    # No temporary file is left behind.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["canonical.cred", "messy.cred"]
    # A second run changes nothing.
    assert run(str(messy))[0] == 0
    assert messy.read_text(encoding="utf-8") == CANONICAL


def test_fmt_check_lists_files_and_writes_nothing(tmp_path: Path) -> None:
    messy = write(tmp_path, "messy.cred", MESSY)
    canonical = write(tmp_path, "canonical.cred", CANONICAL)
    code, out, err = run("--check", str(messy), str(canonical))
    assert code == 1
    assert out == f"{messy}\n"
    assert "1 file(s) would be reformatted, 1 unchanged" in err
    assert messy.read_text(encoding="utf-8") == MESSY
    code, out, _ = run("--check", str(canonical))
    assert (code, out) == (0, "")


def test_crlf_files_are_changed(tmp_path: Path) -> None:
    crlf = write(tmp_path, "crlf.cred", CANONICAL.replace("\n", "\r\n"))
    assert run("--check", str(crlf))[0] == 1
    assert run(str(crlf))[0] == 0
    assert crlf.read_bytes() == CANONICAL.encode()


def test_unparsable_file_is_reported_and_left_untouched(tmp_path: Path) -> None:
    broken = write(tmp_path, "broken.cred", BROKEN)
    messy = write(tmp_path, "messy.cred", MESSY)
    for args in (["--check"], []):
        code, _out, err = run(*args, str(broken), str(messy))
        assert code == 1
        assert "broken.cred:4:" in err and "error[parse." in err
        assert broken.read_text(encoding="utf-8") == BROKEN
    assert messy.read_text(encoding="utf-8") == CANONICAL  # the good file is still formatted


def test_undecodable_and_missing_files(tmp_path: Path) -> None:
    bad = tmp_path / "latin1.cred"
    bad.write_bytes(b'policy p "caf\xe9"\n')
    code, _out, err = run(str(bad), str(tmp_path / "missing.cred"))
    assert code == 1
    assert "parse.encoding" in err and "parse.io" in err
    assert bad.read_bytes() == b'policy p "caf\xe9"\n'


def test_json_diagnostics(tmp_path: Path) -> None:
    broken = write(tmp_path, "broken.cred", BROKEN)
    code, out, _err = run("--format", "json", str(broken))
    assert code == 1
    assert json.loads(out)[0]["code"].startswith("parse.")


def test_help_shows_an_example() -> None:
    result = CliRunner().invoke(cli, ["fmt", "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output and "credential fmt --check" in result.output
