"""``credential validate``: check a data bundle against a policy's declarations, alone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from credential.cli.common import (
    DATA_OPTION,
    EXIT_DATA,
    EXIT_OK,
    ON_INVALID_OPTION,
    POLICY_PATH_OPTION,
    default_data,
    default_policy,
    emit_diagnostics,
    load_policy_or_exit,
)
from credential.cli.paths import InputFile
from credential.diagnostics import DiagnosticError
from credential.escaping import terminal_text


@click.command("validate")
@click.option(
    "--policy",
    "policy",
    type=InputFile(),
    default=None,
    help="policy whose declarations the data must meet (default: the bundled reference policy)",
)
@DATA_OPTION
@ON_INVALID_OPTION
@POLICY_PATH_OPTION
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="a summary for people, or one JSON object for machines (on standard output)",
)
def command(policy: str | None, data: str | None, on_invalid: str, fmt: str) -> None:
    """Validate a data bundle against the policy that will read it.

    Every problem is reported at once, as FILE:ROW: error[data.CODE]: column C: message
    (value 'V'), on standard error.  Exit 0 when the bundle is accepted (warnings are
    printed), 3 when it is rejected, 1 when the policy has errors, 2 on usage errors.
    With --on-invalid quarantine the offending rows are listed and the rest is accepted.

    \b
    Example:
      credential validate --policy policies/dalton_2014.cred --data fixtures/nhs
      credential validate --data bundle.json --on-invalid quarantine --format json
    """
    from credential.data.load import load_bundle
    from credential.data.validate import validate_bundle

    checked = load_policy_or_exit(policy or default_policy(), fmt)
    data_path = Path(data or default_data())
    try:
        raw = load_bundle(data_path)
    except DiagnosticError as exc:
        if fmt == "json":
            click.echo(json.dumps(_report(str(data_path), False, exc.diagnostics, [], {}, {}), indent=2))
        else:
            emit_diagnostics(exc.diagnostics)
        raise SystemExit(EXIT_DATA) from None
    result = validate_bundle(
        raw, checked.bundle_spec(), on_invalid="quarantine" if on_invalid == "quarantine" else "reject"
    )
    bundle = result.bundle
    rows: dict[str, int] = {}
    if bundle is not None:
        rows = {
            "providers": len(bundle.provider_codes),
            "observations": len(bundle.observations),
            "statuses": len(bundle.statuses),
            "arrangements": len(bundle.arrangements),
        }
    quarantined = [{"file": q.file, "row": q.row, "reasons": q.reasons} for q in result.quarantined]
    if fmt == "json":
        report = _report(str(data_path), bundle is not None, result.diagnostics, quarantined, rows, raw.digests)
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        emit_diagnostics(result.diagnostics)
        for q in result.quarantined:
            click.echo(terminal_text(f"quarantined {q.file}:{q.row}: " + "; ".join(q.reasons)))
        if bundle is not None:
            n_warn = len(result.warnings)
            summary = ", ".join(f"{n} {name}" for name, n in rows.items())
            extra = f", {len(result.quarantined)} row(s) quarantined" if result.quarantined else ""
            click.echo(f"valid: {summary}{extra} ({n_warn} warning(s))")
        else:
            click.echo(f"invalid: {len(result.errors)} error(s); nothing can be evaluated", err=True)
    raise SystemExit(EXIT_OK if bundle is not None else EXIT_DATA)


def _report(
    data: str,
    valid: bool,
    diagnostics: list[Any],
    quarantined: list[dict[str, Any]],
    rows: dict[str, int],
    digests: dict[str, str],
) -> dict[str, Any]:
    return {
        "data": data,
        "valid": valid,
        "rows": rows,
        "digests": dict(sorted(digests.items())),
        "quarantined": quarantined,
        "diagnostics": [d.to_json() for d in diagnostics],
    }
