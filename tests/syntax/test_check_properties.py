"""The checker never raises on generated policies (well- or ill-typed): it only reports."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given

from credential.check import check_files
from credential.policy import load_checked
from credential.syntax import ast, parse_text
from support.policies import (
    GeneratedPolicy,
    ill_typed_policies,
    property_settings,
    rendered,
    well_typed_policies,
)

SETTINGS = property_settings(60)


def _rule_names(tree: ast.PolicyFile, kind: str) -> set[str]:
    return {d.name.name for d in tree.decls if isinstance(d, ast.RuleDecl) and d.kind == kind}


def _check(g: GeneratedPolicy) -> list[str]:
    result = parse_text(g.text, "generated.cred")
    assert result.diagnostics == []
    policy, diags = check_files(result.tree, [], [result.source], "generated.cred")
    errors = [d for d in diags if d.is_error]
    # A checked policy comes back exactly when there is no error, and it holds every rule.
    assert (policy is None) == bool(errors)
    if policy is not None:
        assert set(policy.criteria) == _rule_names(g.tree, "criterion")
        assert set(policy.credentials) == _rule_names(g.tree, "credential")
        assert set(policy.forms) == _rule_names(g.tree, "form")
    for d in diags:
        assert d.code.startswith("check.")
        assert d.span is not None
        assert d.headline()
    return [f"{d.headline()} ({d.help})" for d in errors]


@SETTINGS
@given(rendered(well_typed_policies()))
def test_well_typed_policies_check_clean(g: GeneratedPolicy) -> None:
    assert _check(g) == []


@SETTINGS
@given(rendered(ill_typed_policies()))
def test_checker_only_reports_on_ill_typed_policies(g: GeneratedPolicy) -> None:
    _check(g)


@property_settings(15)
@given(rendered(ill_typed_policies()))
def test_load_checked_never_raises(g: GeneratedPolicy) -> None:
    """Through files, with `use` declarations (which name files that mostly do not exist)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "policy.cred"
        path.write_text(g.text, encoding="utf-8", newline="")
        policy, diags = load_checked(path)
    assert (policy is None) == any(d.is_error for d in diags)
