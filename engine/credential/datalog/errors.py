"""The one exception type of the Datalog layer, with a stable code per kind of problem.

Codes (see docs/datalog.md):

- ``datalog.parse`` -- syntax error in Datalog text (the message carries line and column);
- ``datalog.unsafe-variable`` -- a variable not bound by a positive body atom where it must be;
- ``datalog.arity-mismatch`` -- one predicate used with two arities across facts and rules;
- ``datalog.unstratifiable`` -- negation through recursion (the message names the cycle);
- ``datalog.invalid-name`` -- a predicate or variable name that the textual syntax cannot express;
- ``datalog.invalid-value`` -- a constant or fact value outside str/int/float/bool (or a non-finite float);
- ``datalog.unknown-backend`` -- no backend registered under the requested name;
- ``datalog.runtime`` -- a backend failed while evaluating (e.g. integer overflow in DuckDB).
"""

from __future__ import annotations

__all__ = ["DatalogError"]


class DatalogError(Exception):
    """A problem with a Datalog program, its facts or its evaluation.

    ``code`` is a stable identifier (``datalog.*``); ``message`` is for people. Parse errors also
    carry ``line`` and ``column`` (1-based); errors about one rule carry its ``origin`` when known.
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        line: int | None = None,
        column: int | None = None,
        origin: str | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.line = line
        self.column = column
        self.origin = origin
