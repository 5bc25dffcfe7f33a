"""Hover reads a declaration's fields, so clauses added to the language later are shown too."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from credential.lsp.analysis import analyse
from credential.lsp.hover import describe
from credential.syntax import ast, parse_text


@dataclasses.dataclass(frozen=True)
class MeasureWithMore(ast.MeasureDecl):
    """A measure declaration as a later version of the language might parse it."""

    unit: str | None = None
    max_age: ast.DurationLit | None = None


def test_measure_hover_shows_unit_and_maximum_age(tmp_path: Path) -> None:
    path = tmp_path / "p.cred"
    path.write_text('policy p "P"\n  version "1"\n  effective 2015-04-01\n\nmeasure ae_4h: percent\n', encoding="utf-8")
    analysis = analyse(path.resolve(), {})
    sym = analysis.symbols["ae_4h"]
    plain = describe(analysis, sym)
    assert plain.startswith("**measure** `ae_4h`: percent") and "**unit**" not in plain
    age = parse_text("param a = 5 years\n").tree.decls[0].value
    assert isinstance(age, ast.DurationLit)
    richer = dataclasses.replace(
        sym, decl=MeasureWithMore(sym.decl.name, sym.decl.type, unit="attendances", max_age=age)
    )
    text = describe(analysis, richer)
    assert "**unit**: `attendances`" in text and "**max age**: `5 years`" in text
