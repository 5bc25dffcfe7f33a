"""Regenerate docs/diagnostics.md from the golden cases (tests/docs checks every code is listed).

Run from the repository root: ``PYTHONPATH=engine python3 tests/docs/regen_diagnostics.py``.
"""

from __future__ import annotations

from pathlib import Path

from credential.escaping import terminal_text

ROOT = Path(__file__).resolve().parents[2]
CASES = ROOT / "tests" / "check" / "cases"
GOLDEN = ROOT / "tests" / "check" / "golden"

MEANING = {
    "parse.unexpected-token": "a word or symbol where the grammar does not allow it (with what was expected)",
    "parse.unexpected-character": "a character no token starts with",
    "parse.unterminated-string": "a string not closed on its line",
    "parse.encoding": "the file is not UTF-8",
    "parse.too-deep": "parentheses nested more than 64 deep",
    "parse.file-too-large": "a policy file over 2 MiB",
    "parse.io": "the file cannot be read",
    "parse.unexpected-end": (
        "the text ends inside a declaration (defensive; the layout rules normally"
        " report an unexpected end of line instead)"
    ),
    "parse.syntax": "any other syntax error from the parser (defensive)",
    "parse.too-many-errors": (
        "more than 25 syntax errors in one file: the rest is not parsed (each declaration with an"
        " error is reported line by line, and the checks run on the declarations that parsed)"
    ),
    "check.policy-header": "no `policy` declaration, not first, more than one, or without `version`/`effective`",
    "check.duplicate-name": (
        "a name declared twice (one namespace for all declarations), a level or member listed twice"
    ),
    "check.unknown-name": "a name that is not declared, with a did-you-mean",
    "check.type-mismatch": (
        "operands of different kinds (both named, each side labelled: a number, a percent, a date, text,"
        " yes/no, a duration, a level of a scale, a member of a `one of`, a status, a criterion), an operator"
        " the type does not allow, a value used as a condition, `pooled` of a measure that is not a percent,"
        " `applies to` naming something other than an attribute"
    ),
    "check.bad-date": "a date that is not a calendar date, or a policy that expires before it takes effect",
    "check.param-dates": "a param's `from` dates not in increasing order",
    "check.bad-number": "a duration that is not a whole positive number of units, a negative `minimum`",
    "check.bad-clause": "a clause that does not belong in that declaration, a second `applies to`",
    "check.missing-clause": (
        "a rule without `requires`, a form without `change`, `lead requires` or `recipient requires`,"
        " a criterion in `judged by` without `applies to`"
    ),
    "check.pair-only": "`lead.X` / `recipient.X` outside `pair requires`",
    "check.pair-unqualified": "a provider's value in `pair requires` without `lead.` or `recipient.`",
    "check.cycle": "a criterion or credential that depends on itself, naming the chain",
    "check.use-cycle": "files that `use` each other in a cycle",
    "check.use-not-found": "a `use` path that does not exist",
    "check.use-outside": (
        "a `use` path that is absolute or leads outside the root policy's folder (and every `--policy-path`)"
    ),
    "check.use-not-policy": "a `use` path that does not name a `.cred` file",
    "check.confusable-character": (
        "(warning) a bidirectional control or zero-width character in the text (Trojan Source)"
    ),
    "check.unused": "(warning) a declaration nothing refers to",
    "check.risk-gradient": "(warning) a higher-change form whose lead bar is lower than a lower-change form's",
    "check.pair-unconstrained": (
        "(warning) a form with no `pair requires`, or one whose condition reads only the lead's or only the"
        " recipient's values: it says nothing about which lead fits which recipient"
    ),
    "check.grace-target": "`held X at start of arrangement led ...` where X is not a credential",
    "check.grace-unbounded": "a grace condition without `started within D` (a grace period must end)",
    "check.stale-without-age": "`stale may refuse` on a measure that declares no `max age`",
    "check.age-not-measure": "`, max age D` on a comparison that reads no measure",
    "check.peer-base": (
        "`percentile of`/`rank of` a value that is not a provider's (a param, a literal, another position)"
    ),
    "check.peer-not-numeric": "`percentile of`/`rank of` a value that is not a number or a percent",
    "check.peer-group": "`among X` where X is not a provider attribute of a `one of`, scale or text type",
    "check.trajectory-dates": "a `trajectory A on D1 to B on D2` whose start date is not before its end date",
    "check.trajectory-type": "a trajectory whose two anchors are not both numbers or both percents",
    "check.stale-negated": (
        "(warning) `not` over a comparison whose stale evidence may refuse (its refusal would become a pass)"
    ),
}

DATA_AND_DATALOG = """## Data bundle codes

Data diagnostics have the form `FILE:ROW: error[data.CODE]: column C: message (value 'V')`, with a
`help:` line where a fix is obvious; ROW is the line in the file (the header is line 1). Every code,
with an example line, is listed in [data-bundle.md](data-bundle.md). The codes are:
`data.missing-file`, `data.ambiguous-file`, `data.unreadable`, `data.encoding`, `data.bad-csv`,
`data.bad-json`, `data.bad-row`, `data.missing-column`, `data.duplicate-column`, `data.missing-value`,
`data.bad-type`, `data.bad-date`, `data.bad-code`, `data.out-of-range`, `data.not-a-level`,
`data.invalid`, `data.duplicate-provider`, `data.conflicting-observation`, `data.unknown-provider`,
`data.self-arrangement`, `data.end-before-start`, `data.not-a-party`, and the warnings `data.undeclared-measure`,
`data.undeclared-status`, `data.undeclared-form`, `data.extra-column`, `data.rate-mismatch`.

## Output codes

Writing an output (`--output`, standard output, `fmt` rewriting a file) goes through one module
(see [security.md](security.md)): `output.bad-target` (exit 2) when `--output` names a directory,
a block device, a socket or a link loop, reported before any work; `output.io` (exit 6) when the
write fails (disk full, read-only, permission denied), the old file left unchanged.
## Evaluation codes

`eval.policy-expired` (exit 1): the as-of date is after the policy's `expires` date. Every command
that evaluates (`evaluate`, `explain`, `verify`, `test`, `diff`, and the Python API, which raises
`credential.engine.PolicyExpired`) refuses it unless given `--allow-expired` (`allow_expired=True`),
which every decision record then carries (see [language.md](language.md), "Expiry"):

EXPIRED_EXAMPLE

## Policy test codes

`credential test` reports problems in YAML test files as `FILE:LINE:COL: error[test.CODE]: message`
with a caret; every `test.*` code is listed with an example in [policy-tests.md](policy-tests.md).

## Datalog codes

Raised as `credential.datalog.DatalogError` (attribute `.code`) by the Datalog layer's own checks,
before any backend sees a program (see [datalog.md](datalog.md)): `datalog.parse`,
`datalog.unsafe-variable`, `datalog.arity-mismatch`, `datalog.unstratifiable`,
`datalog.invalid-name`, `datalog.invalid-value`, `datalog.unknown-backend`,
`datalog.runtime` (a backend failed while evaluating), `datalog.unsupported` (the `masks` backend
was asked for a program outside its fragment), `datalog.limit` (an evaluation crossed its round or
time limit: a recursive rule that computes new values).
"""


def main() -> None:
    parts = [
        "# Diagnostics: every code\n",
        "Policy problems are reported as `FILE:LINE:COL: error|warning[CODE]: message`, the source line",
        "with a caret under the offending span, and a `help:` line where a fix can be suggested; all",
        "problems in all files at once, sorted by position. `credential check --format json` gives the",
        "same as a JSON list (`code`, `severity`, `message`, `file`, `line`, `column`, `end_line`,",
        "`end_column`, `help`, and `labels` where a diagnostic marks more than one span). A label is a",
        "secondary span with a word, shown under the caret as `---- percent`: a `check.type-mismatch`",
        "labels each side of the comparison with its kind. Codes are stable: tools may match on them.\n",
        "Exit codes: `check` exits 0 when clean, 1 on any error (and on warnings with `--strict`).\n",
        "## Policy codes\n",
        "| code | meaning |",
        "|---|---|",
    ]
    for code, meaning in MEANING.items():
        parts.append(f"| `{code}` | {meaning} |")
    parts.append("\n## Examples\n")
    parts.append("Each example is a test case (`tests/check/cases/`); its output is pinned by a golden file.\n")
    for case in sorted(CASES.glob("*.cred")):
        if case.name.endswith(".lib.cred"):
            continue
        golden = GOLDEN / f"{case.name}.txt"
        if not golden.exists():
            continue
        out = golden.read_text(encoding="utf-8").split("\n", 1)[1].rstrip("\n")
        code = case.name.removesuffix(".cred").split(".empty")[0]
        try:
            src = terminal_text(case.read_text(encoding="utf-8").rstrip("\n"), multiline=True)
        except UnicodeDecodeError:
            src = "(bytes that are not UTF-8)"
        parts.append(f"### `{code}`" + (" (empty file)" if ".empty" in case.name else "") + "\n")
        if src:
            parts.append("```text\n" + src + "\n```\n")
        parts.append("```text\n$ credential check " + case.name + "\n" + out + "\n```\n")
    expired = (ROOT / "tests" / "cli" / "golden" / "expired.txt").read_text(encoding="utf-8")
    example = "```text\n" + "\n".join(expired.splitlines()[:2]) + "\n```\n"
    parts.append(DATA_AND_DATALOG.replace("EXPIRED_EXAMPLE\n", example))
    (ROOT / "docs" / "diagnostics.md").write_text("\n".join(parts), encoding="utf-8")


if __name__ == "__main__":
    main()
