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
    code, _out, err = run(str(bad))
    assert code == 1
    assert "parse.encoding" in err
    assert bad.read_bytes() == b'policy p "caf\xe9"\n'
    # a missing path is a usage error (exit 2), named, before any file is touched
    code, _out, err = run(str(bad), str(tmp_path / "missing.cred"))
    assert code == 2
    assert "missing.cred" in err and "usage.missing-file" in err


def test_json_diagnostics(tmp_path: Path) -> None:
    broken = write(tmp_path, "broken.cred", BROKEN)
    code, out, _err = run("--format", "json", str(broken))
    assert code == 1
    assert json.loads(out)[0]["code"].startswith("parse.")


def test_help_shows_an_example() -> None:
    result = CliRunner().invoke(cli, ["fmt", "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output and "credential fmt --check" in result.output


def test_diff_prints_a_unified_diff_and_writes_nothing(tmp_path: Path) -> None:
    messy = write(tmp_path, "messy.cred", MESSY)
    code, out, _err = run("-d", str(messy))
    assert code == 0
    assert out.startswith(f"--- {messy} (original)\n+++ {messy} (formatted)\n@@")
    assert '-policy   p "t"' in out and '+policy p "t"' in out
    assert messy.read_text(encoding="utf-8") == MESSY
    # --check with --diff: the diff, and exit 1
    code, out, _err = run("--check", "--diff", str(messy))
    assert code == 1 and out.startswith("---")


def test_list_names_changed_files_and_write_rewrites_too(tmp_path: Path) -> None:
    messy = write(tmp_path, "messy.cred", MESSY)
    canonical = write(tmp_path, "canonical.cred", CANONICAL)
    code, out, _err = run("-l", str(messy), str(canonical))
    assert (code, out) == (0, f"{messy}\n")
    assert messy.read_text(encoding="utf-8") == MESSY
    code, out, _err = run("-l", "-w", str(messy), str(canonical))
    assert (code, out) == (0, f"{messy}\n")
    assert messy.read_text(encoding="utf-8") == CANONICAL


def test_stdin_to_stdout(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["fmt", "-"], input=MESSY, catch_exceptions=False)
    assert (result.exit_code, result.stdout) == (0, CANONICAL)
    result = CliRunner().invoke(cli, ["fmt", "-"], input=result.stdout, catch_exceptions=False)
    assert (result.exit_code, result.stdout) == (0, CANONICAL)  # idempotent
    result = CliRunner().invoke(cli, ["fmt", "--check", "-"], input=MESSY, catch_exceptions=False)
    assert (result.exit_code, result.stdout) == (1, "<stdin>\n")
    result = CliRunner().invoke(cli, ["fmt", "-"], input=BROKEN, catch_exceptions=False)
    assert result.exit_code == 1 and result.stdout == "" and "<stdin>:" in result.stderr


def test_folders_are_walked_for_cred_files(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / ".hidden").mkdir()
    a = write(tmp_path, "a.cred", MESSY)
    b = write(tmp_path / "sub", "b.cred", "# a comment kept\n" + MESSY)
    hidden = write(tmp_path / ".hidden", "c.cred", MESSY)
    other = write(tmp_path, "notes.txt", MESSY)
    code, out, _err = run("--check", str(tmp_path))
    assert code == 1
    assert out.splitlines() == [str(a), str(b)]
    assert run(str(tmp_path))[0] == 0
    assert a.read_text(encoding="utf-8") == CANONICAL
    assert b.read_text(encoding="utf-8") == "# a comment kept\n" + CANONICAL
    assert hidden.read_text(encoding="utf-8") == MESSY and other.read_text(encoding="utf-8") == MESSY
    assert run("--check", str(tmp_path)) == (0, "", "0 file(s) would be reformatted, 2 unchanged\n")
