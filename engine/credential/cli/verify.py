"""``credential verify DECISIONS --policy P --data D``: re-check every record and proof independently."""

from __future__ import annotations

import click

from credential.cli.common import (
    ALLOW_EXPIRED_OPTION,
    DATA_OPTION,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    ON_INVALID_OPTION,
    POLICY_PATH_OPTION,
    default_data,
    default_policy,
    fail,
    run_guarded,
)
from credential.cli.paths import InputFile

MAX_MISSING_SHOWN = 20  # missing records listed one by one; the rest are counted


@click.command("verify")
@click.argument("decisions", type=InputFile())
@click.option("--policy", type=InputFile(), default=None, help="policy file (default: reference policy)")
@DATA_OPTION
@ON_INVALID_OPTION
@POLICY_PATH_OPTION
@ALLOW_EXPIRED_OPTION
@click.option("--provider", default=None, help="the file holds the records of this provider only (explain CODE)")
@click.option("--subject", default=None, help="the file holds the records of this subject only (explain CODE SUBJECT)")
@click.option(
    "--pairs",
    is_flag=True,
    default=None,
    help="the file must hold the pair records (evaluate --pairs); by default, as the file shows",
)
@run_guarded
def command(
    decisions: str,
    policy: str | None,
    data: str | None,
    on_invalid: str,
    allow_expired: bool,
    provider: str | None,
    subject: str | None,
    pairs: bool | None,
) -> None:
    """Re-derive every decision record and every node of its proof from the policy and the data alone.

    Works without the Datalog engine.  Reads what `evaluate` writes as JSON lines or JSON (with
    or without --explain) and what `explain --format json` writes.  The file must hold exactly
    the records `evaluate` writes for its as-of dates (pairs if it has any, or with --pairs), in its
    order; with --provider / --subject, those of one provider or subject.  Exit 4 if anything does
    not hold, 2 for a file it does not read (CSV, the table view).

    \b
    Example:
      credential evaluate --explain --format jsonl --output d.jsonl
      credential verify d.jsonl
    """
    from credential.escaping import terminal_text
    from credential.evaluation.evaluate import load_inputs
    from credential.proofs.verify import FormatError, Scope, verify_lines

    inputs = load_inputs(policy or default_policy(), data or default_data(), on_invalid)  # type: ignore[arg-type]
    if subject is not None and ":" not in subject:
        subject = f"credential:{subject}"
    scope = Scope(complete=True, provider=provider, subject=subject, pairs=pairs or None)
    try:
        with open(decisions, encoding="utf-8", newline="") as fh:
            report = verify_lines(fh, inputs.policy, inputs.bundle, scope, allow_expired=allow_expired)
    except UnicodeDecodeError:
        fail(EXIT_USAGE, f"error: {decisions} is not UTF-8 text [verify.format]")
    except FormatError as exc:
        fail(
            EXIT_USAGE,
            f"error: {decisions}: {exc}; verify reads the JSON lines or JSON that "
            "`evaluate --format jsonl|json` and `explain --format json` write [verify.format]",
        )
    missing = [p for p in report.problems if p.code == "verify.missing-record"]
    for p in report.problems:
        if p.code != "verify.missing-record":
            click.echo(terminal_text(str(p)))
    for p in missing[:MAX_MISSING_SHOWN]:
        click.echo(terminal_text(str(p)))
    if len(missing) > MAX_MISSING_SHOWN:
        click.echo(f"file: {len(missing) - MAX_MISSING_SHOWN} more records missing [verify.missing-record]")
    held = report.checked - report.failed_records
    summary = (
        f"verified {report.checked} record(s), {report.proofs} with proofs: {held} hold, {report.failed_records} do not"
    )
    if missing:
        summary += f"; {len(missing)} missing from the file"
    if report.checked == 0:
        summary = f"verified 0 records: {terminal_text(decisions)} holds none"
    click.echo(summary, err=True)
    raise SystemExit(EXIT_FAILED if not report.ok else EXIT_OK)
