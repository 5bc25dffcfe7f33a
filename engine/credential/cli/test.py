"""``credential test [PATH...]``: run policy test files (YAML) and report coverage of the policy."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import cast

import click

from credential.cli.common import (
    ALLOW_EXPIRED_OPTION,
    BACKEND_OPTION,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    POLICY_PATH_OPTION,
    emit_diagnostics,
    fail,
    run_guarded,
    write_atomic,
)
from credential.cli.paths import InputData, OutputFile


def default_paths() -> list[Path]:
    """``policies/tests`` under the working directory if present, else the packaged policies' tests."""
    local = Path("policies") / "tests"
    if local.is_dir():
        return [local]
    from credential.resources import resource_path

    try:
        return [resource_path("policies") / "tests"]
    except FileNotFoundError:
        return []


@click.command("test")
@click.argument("paths", nargs=-1, type=InputData())
@click.option("-k", "keyword", metavar="EXPR", help="only cases whose id (FILE::TEST::CASE) matches, as pytest -k")
@click.option("--list", "list_only", is_flag=True, help="list the ids of the cases selected; run nothing")
@click.option("-v", "--verbose", is_flag=True, help="show every expectation, not only the failing ones")
@click.option("-x", "--exitfirst", "exitfirst", is_flag=True, help="stop after the first failing case")
@click.option("--junit", "junit", type=OutputFile(), default=None, metavar="FILE", help="also write a JUnit XML report")
@click.option(
    "--coverage/--no-coverage",
    default=True,
    show_default=True,
    help="report which parts of each policy the tests made true and false",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option(
    "--fail-under",
    type=click.FloatRange(0, 100),
    default=None,
    metavar="PCT",
    help="exit 4 when a policy's rule coverage (criteria, credentials, roles) is below PCT",
)
@click.option("--failures-only", is_flag=True, help="list only the failing cases (text format)")
@BACKEND_OPTION
@POLICY_PATH_OPTION
@ALLOW_EXPIRED_OPTION
def command(
    paths: tuple[str, ...],
    keyword: str | None,
    list_only: bool,
    verbose: bool,
    exitfirst: bool,
    junit: str | None,
    coverage: bool,
    fmt: str,
    fail_under: float | None,
    failures_only: bool,
    backend: str,
    allow_expired: bool,
) -> None:
    """Run policy test files and report pass/fail per case, with coverage of each policy.

    PATH is a test file or a folder searched for *.yaml / *.yml files (default:
    policies/tests, or the packaged policies' tests). Exit 0 when every case passes,
    4 when any fails (or coverage is under --fail-under), 1 on policy errors, 3 on
    data errors, 2 on malformed test files or when -k selects nothing. The format:
    docs/policy-tests.md.

    \b
    Examples:
      credential test
      credential test policies/tests/dalton_2014.yaml --format json
      credential test --list -k grace
      credential test -k "dalton_2017 and not fixture" -v -x
      credential test policies/tests --junit report.xml --no-coverage
      credential test policies/tests --fail-under 100
    """
    guarded = cast(Callable[..., None], run_guarded(_run))
    guarded(
        paths,
        keyword,
        list_only,
        verbose,
        exitfirst,
        junit,
        coverage,
        fmt,
        fail_under,
        failures_only,
        backend,
        allow_expired,
    )


def _run(
    paths: tuple[str, ...],
    keyword: str | None,
    list_only: bool,
    verbose: bool,
    exitfirst: bool,
    junit: str | None,
    coverage: bool,
    fmt: str,
    fail_under: float | None,
    failures_only: bool,
    backend: str,
    allow_expired: bool = False,
) -> None:
    from credential.escaping import terminal_text
    from credential.testing import TestFileInvalid, discover, load_tests, run_tests
    from credential.testing.report import render_json, render_text
    from credential.testing.select import case_id, select_cases

    if fail_under is not None and not coverage:
        fail(EXIT_USAGE, "error[usage.bad-argument]: --fail-under needs coverage (drop --no-coverage)")
    files = discover([Path(p) for p in paths] if paths else default_paths())
    if not files:
        fail(EXIT_USAGE, "error[usage.bad-argument]: no test files (*.yaml, *.yml) found")
    try:
        tests = select_cases(load_tests(files), keyword)
        if keyword and not tests:
            fail(EXIT_USAGE, f"error[usage.bad-argument]: -k {keyword!r} selects no case")
        if list_only:
            for t in tests:
                for c in t.cases:
                    click.echo(case_id(t, c))
            click.echo(f"{sum(len(t.cases) for t in tests)} case(s) selected", err=True)
            raise SystemExit(EXIT_OK)
        result = run_tests(
            tests, coverage=coverage, backend=backend, stop_on_failure=exitfirst, allow_expired=allow_expired
        )
    except TestFileInvalid as exc:
        emit_diagnostics(exc.diagnostics)
        fail(EXIT_USAGE)
    emit_diagnostics(result.warnings)
    shown = not failures_only
    text = render_json(result) if fmt == "json" else render_text(result, show_passed=shown, verbose=verbose)
    click.echo(text if fmt == "json" else terminal_text(text, multiline=True), nl=False)
    if junit:
        from credential.testing.junit import render_junit

        write_atomic(junit, render_junit(result))
    code = EXIT_OK if result.ok else EXIT_FAILED
    if fail_under is not None and result.coverage:
        low = {d: pc.rule_percent() for d, pc in result.coverage.items() if pc.rule_percent() < fail_under}
        for display, pct in low.items():
            click.echo(f"coverage of {display} is {pct:.1f}%, under --fail-under {fail_under:g}%", err=True)
        if low:
            code = EXIT_FAILED
    raise SystemExit(code)
