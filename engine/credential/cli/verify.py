"""``credential verify DECISIONS.jsonl --policy P --data D``: re-check every proof independently."""

from __future__ import annotations

import click

from credential.cli.common import (
    ALLOW_EXPIRED_OPTION,
    DATA_OPTION,
    EXIT_FAILED,
    EXIT_OK,
    ON_INVALID_OPTION,
    default_data,
    default_policy,
    fail,
    run_guarded,
)


@click.command("verify")
@click.argument("decisions", type=click.Path(dir_okay=False, exists=True))
@click.option("--policy", type=click.Path(dir_okay=False), default=None, help="policy file (default: reference policy)")
@DATA_OPTION
@ON_INVALID_OPTION
@ALLOW_EXPIRED_OPTION
@run_guarded
def command(decisions: str, policy: str | None, data: str | None, on_invalid: str, allow_expired: bool) -> None:
    """Re-derive every decision and every node of its proof from the policy and the data alone.

    Works without the Datalog engine; exit 4 if any record does not hold.

    \b
    Example:
      credential evaluate --explain --format jsonl --output d.jsonl
      credential verify d.jsonl
    """
    from credential.engine import load_inputs
    from credential.proofs.verify import verify_lines

    inputs = load_inputs(policy or default_policy(), data or default_data(), on_invalid)  # type: ignore[arg-type]
    try:
        with open(decisions, encoding="utf-8") as fh:
            report = verify_lines(fh, inputs.policy, inputs.bundle, allow_expired=allow_expired)
    except UnicodeDecodeError:
        fail(EXIT_FAILED, f"error: {decisions} is not UTF-8 text")
    for p in report.problems:
        click.echo(str(p))
    held = report.checked - report.failed_records
    summary = f"verified {report.checked} record(s): {held} hold, {report.failed_records} do not"
    click.echo(summary, err=True)
    raise SystemExit(EXIT_FAILED if not report.ok else EXIT_OK)
