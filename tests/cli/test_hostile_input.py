"""Hostile policy input never produces a traceback: a coded diagnostic and exit 1."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from credential.cli import cli


def check(path: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["check", str(path)], catch_exceptions=False)
    return result.exit_code, result.stderr


HEADER = 'policy p "t"\n  version "1"\n  effective 2015-01-01\nmeasure m: percent\n'


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("non_utf8", b'policy p "caf\xe9"\n', "parse.encoding"),
        ("empty", b"", "check.policy-header"),
        ("random", random.Random(7).randbytes(4096), "parse.encoding"),
        ("nul_bytes", b'policy p "t"\x00\x00\n', "parse.unexpected-character"),
        (
            "deep_parens",
            (HEADER + "credential c\n  requires " + "(" * 10_000 + "m >= 1%" + ")" * 10_000 + "\n").encode(),
            "parse.too-deep",
        ),
        ("five_mb", (HEADER + "# filler\n" * 600_000).encode(), "parse.file-too-large"),
        ("only_comments", b"# nothing here\n# at all\n", "check.policy-header"),
        ("unterminated", (HEADER + 'source s "never closed\n').encode(), "parse.unterminated-string"),
        ("tabs_and_cr", b'policy p "t"\r\n\tversion "1"\r\n\teffective 2015-01-01\r\n', None),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 40 else "",
)
def test_hostile(tmp_path: Path, name: str, content: bytes, code: str | None) -> None:
    path = tmp_path / f"{name}.cred"
    path.write_bytes(content)
    exit_code, err = check(path)
    assert "Traceback" not in err
    if code is None:
        assert exit_code in (0, 1)
    else:
        assert exit_code == 1
        assert f"[{code}]" in err


def test_random_text_never_raises(tmp_path: Path) -> None:
    rng = random.Random(11)
    alphabet = 'policy credential requires and or not ( ) >= <= = "x" 3 4% 2015-01-01 \n  # : , . lead recipient'
    words = alphabet.split(" ")
    for i in range(40):
        text = " ".join(rng.choice(words) for _ in range(rng.randrange(1, 60)))
        path = tmp_path / f"r{i}.cred"
        path.write_text(text)
        exit_code, err = check(path)
        assert exit_code in (0, 1)
        assert "Traceback" not in err and "error[internal]" not in err
