"""The package's stages only look down (docs/architecture.md, "Layers").

The import-linter contracts of pyproject.toml are run on the package under test; imports inside
functions and under ``TYPE_CHECKING`` count like any other.  A copy of the package with one
lazy import going back up shows that the contracts catch it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from importlinter.cli import lint_imports

import credential

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "pyproject.toml"
PACKAGE = Path(credential.__file__).resolve().parent
CONTRACTS = [c["name"] for c in tomllib.loads(CONFIG.read_text())["tool"]["importlinter"]["contracts"]]

LINT = (
    "import sys\n"
    "from importlinter.cli import lint_imports\n"
    "sys.exit(lint_imports(config_filename=sys.argv[1], no_cache=True, no_logo=True))\n"
)


def test_contracts_hold(capsys: pytest.CaptureFixture[str]) -> None:
    code = lint_imports(config_filename=str(CONFIG), no_cache=True, no_logo=True)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "0 broken" in out


def _lint_copy(tmp_path: Path, module: str, line: str) -> subprocess.CompletedProcess[str]:
    """Lint a copy of the package in which ``module`` (a path under it) gains a function doing ``line``."""
    copy = tmp_path / "credential"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    target = copy / module
    target.write_text(target.read_text() + f"\n\ndef _back() -> None:\n    {line}\n")
    return subprocess.run(
        [sys.executable, "-c", LINT, str(CONFIG)],
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        # the evaluation results importing the engine: the cycle the layers removed
        ("evaluation/decisions.py", "from credential.engine import run  # noqa", 0),
        # a proof importing a writer
        ("proofs/proof.py", "from credential.output.batch import decision_frame  # noqa", 0),
        # two siblings of a layer are independent
        ("timeline.py", "from credential.testing import runner  # noqa", 0),
        # inside a stage: the decision values below the model
        ("evaluation/decisions.py", "from credential.evaluation.evaluate import Inputs  # noqa", 1),
        # the re-derivation reaching the engine's Datalog
        ("proofs/recompute.py", "from credential.datalog import evaluate  # noqa", 4),
    ],
)
def test_a_back_import_breaks_a_contract(tmp_path: Path, module: str, line: str, contract: int) -> None:
    result = _lint_copy(tmp_path, module, line)
    assert result.returncode == 1, result.stdout + result.stderr
    report = " ".join(result.stdout.split())  # contract names wrap at the terminal's width
    assert f"{CONTRACTS[contract]} BROKEN" in report, result.stdout
