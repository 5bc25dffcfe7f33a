"""``credential compile POLICY``: print the compiled Datalog program."""

from __future__ import annotations

import json

import click

from credential.cli.common import POLICY_PATH_OPTION, load_policy_or_exit
from credential.cli.paths import InputFile


@click.command("compile")
@click.argument("policy", type=InputFile())
@click.option("--emit", type=click.Choice(["datalog", "json"]), default="datalog", show_default=True)
@click.option("--pairs/--no-pairs", default=True, show_default=True, help="include the pair rules")
@POLICY_PATH_OPTION
def command(policy: str, emit: str, pairs: bool) -> None:
    """Print the Datalog program a policy compiles to, each rule tagged with its origin.

    \b
    Example:
      credential compile policies/dalton_2014.cred --emit datalog
    """
    from credential.compile import compile_policy
    from credential.compile.export import program_json, program_text
    from credential.escaping import terminal_text

    checked = load_policy_or_exit(policy)
    compiled = compile_policy(checked)
    if emit == "json":
        click.echo(json.dumps(program_json(compiled, pairs), indent=1, ensure_ascii=False))
    else:
        click.echo(terminal_text(program_text(compiled, pairs), multiline=True), nl=False)
