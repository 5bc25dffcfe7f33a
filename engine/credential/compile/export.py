"""The compiled program as text (standard Datalog with origin comments) and as JSON."""

from __future__ import annotations

from typing import Any

from credential.compile import names
from credential.compile.program import CompiledPolicy
from credential.datalog.syntax import format_program, format_rule


def _inputs(compiled: CompiledPolicy) -> dict[str, Any]:
    values = {pred: {"value": v.text or pred, "type": str(v.type)} for pred, v in sorted(compiled.values.items())}
    for pred, v in compiled.values.items():
        values[pred]["describes"] = names.value_slug(v)
    return {
        "provider": "provider(P): every provider of the bundle",
        "values": values,
        "statuses": sorted(names.status_pred(s) for s in compiled.statuses),
        "params": sorted(names.param_pred(p) for p in compiled.params),
    }


def program_text(compiled: CompiledPolicy, pairs: bool = True) -> str:
    p = compiled.policy
    head = [
        f"// policy {p.name} {p.version} (sha256 {p.sha256})",
        "// c_X: certainly true; p_X: possibly true (true, or unknown for missing data).",
        "// Input facts: provider(P); v_*(P, X) derived values as of the evaluation date;",
        "// st_*(P) / st_unknown_*(P) statuses; param_*(X) params in force on that date.",
        "// Scale levels are ranks (0 = lowest), dates are day ordinals, yes/no are booleans.",
        "",
    ]
    return "\n".join(head) + format_program(compiled.program(pairs), with_origins=True) + "\n"


def program_json(compiled: CompiledPolicy, pairs: bool = True) -> dict[str, Any]:
    p = compiled.policy
    return {
        "policy": {"name": p.name, "version": p.version, "sha256": p.sha256},
        "inputs": _inputs(compiled),
        "rules": [
            {"rule": format_rule(r), "origin": r.origin, "head": r.head.pred} for r in compiled.program(pairs).rules
        ],
    }
