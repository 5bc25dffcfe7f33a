"""The DuckDB backend: the same planned rules as SQL over typed columnar tables.

- **Types.** Each argument column gets the kinds of value that can reach it (``b`` bool, ``i`` int,
  ``f`` float, ``s`` str), inferred from the facts and propagated through the rules to a fixpoint. A
  column with one kind is a native column (BOOLEAN, BIGINT, DOUBLE, VARCHAR); a column that mixes
  kinds is stored as five columns: ``k`` (0 bool, 1 number, 3 str), ``t`` (0 bool, 1 int, 2 float,
  3 str), ``i`` BIGINT, ``f`` DOUBLE and ``s`` VARCHAR, filled so that ``(k, i, f, s)`` are equal
  exactly when the values are equal under the Datalog semantics (``1 = 1.0``, ``true != 1``), which
  keeps joins on plain equality (hash joins). ``t`` restores the Python type on read-back.
- **Rules** become ``SELECT DISTINCT`` over the planned steps: scans are joins, negation is
  ``NOT EXISTS``, comparisons and arithmetic are SQL expressions following ``values.py`` (undefined
  arithmetic is NULL; a binding to NULL derives nothing). Constants are SQL literals (``'`` doubled).
- **Evaluation** goes component by component in dependency order; a recursive component runs
  semi-naive iteration (each round joins one recursive atom against the previous round's delta).
- **Facts** enter as Arrow tables built column by column (no per-fact Python loop except for mixed
  columns).

Limits: integers must fit in 64 bits (overflow raises ``datalog.runtime``); comparisons between an
int and a float beyond 2**53 use double precision.
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import count
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from ..columns import Columns, column_kind
from ..errors import DatalogError
from ..ir import BinOp, Const, Program, Term, Var
from ..limits import DEFAULT_LIMITS, Deadline, Limits
from ..plan import AntiJoin, Bind, Component, Filter, PlannedRule, Scan, arities, plan_program
from ..values import Row, transpose

__all__ = ["BACKEND_FACTORY", "DuckDBBackend"]

Kinds = frozenset[str]
_NUM = frozenset({"i", "f"})
_SQL_TYPE = {"b": "BOOLEAN", "i": "BIGINT", "f": "DOUBLE", "s": "VARCHAR", "n": "BIGINT"}
_PART_TYPES = (("k", "UTINYINT"), ("t", "UTINYINT"), ("i", "BIGINT"), ("f", "DOUBLE"), ("s", "VARCHAR"))
_INT64 = (-(2**63), 2**63 - 1)
_CLASS = {"b": "b", "i": "n", "f": "n", "s": "s"}
_TAG = {"b": 0, "i": 1, "f": 2, "s": 3}
_TYPE_KIND = {bool: "b", int: "i", float: "f", str: "s"}


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "b"
    if isinstance(value, int):
        return "i"
    if isinstance(value, float):
        return "f"
    return "s"


def _rep(kinds: Kinds) -> str:
    """'n' (no value possible), a single kind, or 'm' (mixed)."""
    if not kinds:
        return "n"
    if len(kinds) == 1:
        return next(iter(kinds))
    return "m"


def _classes(kinds: Kinds) -> set[str]:
    return {_CLASS[k] for k in kinds}


# --------------------------------------------------------------------------- SQL values


def _literal(value: object) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        if not _INT64[0] <= value <= _INT64[1]:
            raise DatalogError("datalog.invalid-value", f"{value} does not fit in 64 bits (duckdb backend)")
        return f"CAST({value} AS BIGINT)"
    if isinstance(value, float):
        return f"CAST('{value!r}' AS DOUBLE)"
    assert isinstance(value, str)
    return "'" + value.replace("'", "''") + "'"


def _and(*parts: str) -> str:
    kept = [p for p in parts if p != "TRUE"]
    if "FALSE" in kept:
        return "FALSE"
    if not kept:
        return "TRUE"
    return kept[0] if len(kept) == 1 else "(" + " AND ".join(kept) + ")"


def _or(*parts: str) -> str:
    kept = [p for p in parts if p != "FALSE"]
    if "TRUE" in kept:
        return "TRUE"
    if not kept:
        return "FALSE"
    return kept[0] if len(kept) == 1 else "(" + " OR ".join(kept) + ")"


def _finite(expr: str) -> str:
    return f"(CASE WHEN isfinite({expr}) THEN {expr} END)"


@dataclass(frozen=True)
class SV:
    """A typed SQL value: its possible kinds and either one expression or the five mixed parts."""

    kinds: Kinds
    sql: str = "NULL"
    parts: tuple[str, str, str, str, str] | None = None  # k, t, i, f, s
    nullable: bool = False

    @property
    def rep(self) -> str:
        return _rep(self.kinds)

    def not_null(self) -> str:
        if not self.nullable:
            return "TRUE"
        if self.parts is not None:
            return f"({self.parts[1]} IS NOT NULL)"
        return f"({self.sql} IS NOT NULL)"

    def mixed(self) -> tuple[str, str, str, str, str]:
        """The five parts of the mixed encoding (NULL where undefined)."""
        if self.parts is not None:
            return self.parts
        x, rep = self.sql, self.rep
        if rep == "b":
            return ("0", "0", f"CAST({x} AS BIGINT)", "CAST(0 AS DOUBLE)", "''")
        if rep == "i":
            return ("1", "1", x, f"CAST({x} AS DOUBLE)", "''")
        if rep == "f":
            whole = f"(CASE WHEN {x} = trunc({x}) AND abs({x}) < 9.2e18 THEN CAST({x} AS BIGINT) ELSE 0 END)"
            return ("1", "2", whole, x, "''")
        if rep == "s":
            return ("3", "3", "CAST(0 AS BIGINT)", "CAST(0 AS DOUBLE)", x)
        return ("NULL", "NULL", "NULL", "NULL", "NULL")

    def numeric(self) -> tuple[str, str, str, str]:
        """(is a number, is an int, int value, float value) as SQL."""
        rep = self.rep
        if rep == "i":
            return ("TRUE", "TRUE", self.sql, f"CAST({self.sql} AS DOUBLE)")
        if rep == "f":
            return ("TRUE", "FALSE", "NULL", self.sql)
        if rep == "m":
            k, t, i, f, _ = self.mixed()
            return (f"({k} = 1)", f"({t} = 1)", i, f)
        return ("FALSE", "FALSE", "NULL", "NULL")


def const_sv(value: object) -> SV:
    return SV(frozenset({_kind(value)}), _literal(value))


def column_sv(kinds: Kinds, ref: str) -> SV:
    if _rep(kinds) == "m":
        return SV(kinds, parts=tuple(f"{ref}_{p}" for p, _ in _PART_TYPES))  # type: ignore[arg-type]
    return SV(kinds, ref)


def sql_equal(a: SV, b: SV) -> str:
    """SQL condition for ``a = b`` (NULL or FALSE when not equal or undefined)."""
    if not (_classes(a.kinds) & _classes(b.kinds)):
        return "FALSE"
    ra, rb = a.rep, b.rep
    if ra != "m" and rb != "m":
        if ra == rb:
            return f"({a.sql} = {b.sql})"
        if {ra, rb} == {"i", "f"}:
            i, f = (a, b) if ra == "i" else (b, a)
            return f"(CAST({i.sql} AS DOUBLE) = {f.sql} AND {i.sql} = TRY_CAST({f.sql} AS BIGINT))"
        return "FALSE"
    pa_, pb = a.mixed(), b.mixed()
    return _and(*(f"({x} = {y})" for j, (x, y) in enumerate(zip(pa_, pb, strict=True)) if j != 1))


def sql_compare(op: str, a: SV, b: SV) -> str:
    if op == "=":
        return sql_equal(a, b)
    if op == "!=":
        eq = sql_equal(a, b)
        return _and(a.not_null(), b.not_null(), "TRUE" if eq == "FALSE" else f"(NOT {eq})")
    common = _classes(a.kinds) & _classes(b.kinds)
    if not common:
        return "FALSE"
    ra, rb = a.rep, b.rep
    if ra != "m" and rb != "m":
        if _CLASS[ra] != _CLASS[rb]:
            return "FALSE"
        return f"({a.sql} {op} {b.sql})"
    ka, ta, ia, fa, sa = a.mixed()
    kb, tb, ib, fb, sb = b.mixed()
    branches = []
    if "b" in common:
        branches.append(f"WHEN {ka} = 0 THEN {ia} {op} {ib}")
    if "n" in common:
        by_type = f"CASE WHEN {ta} = 1 AND {tb} = 1 THEN {ia} {op} {ib} ELSE {fa} {op} {fb} END"
        branches.append(f"WHEN {ka} = 1 THEN ({by_type})")
    if "s" in common:
        branches.append(f"WHEN {ka} = 3 THEN {sa} {op} {sb}")
    return f"(CASE WHEN {ka} = {kb} THEN (CASE {' '.join(branches)} ELSE FALSE END) ELSE FALSE END)"


def arith_kinds(op: str, left: Kinds, right: Kinds) -> Kinds:
    if not (left & _NUM) or not (right & _NUM):
        return frozenset()
    out: set[str] = set()
    if op != "/" and "i" in left and "i" in right:
        out.add("i")
    if op == "/" or "f" in left or "f" in right:
        out.add("f")
    return frozenset(out)


def sql_arith(op: str, a: SV, b: SV) -> SV:
    kinds = arith_kinds(op, a.kinds, b.kinds)
    if not kinds:
        return SV(frozenset(), "NULL", nullable=True)
    na, ia_, ival_a, fval_a = a.numeric()
    nb, ib_, ival_b, fval_b = b.numeric()
    int_case = "FALSE" if op == "/" else _and(ia_, ib_)
    float_case = _and(na, nb, "TRUE" if int_case == "FALSE" else f"(NOT {int_case})")
    if op == "/":
        float_case = _and(float_case, f"({fval_b} <> 0)")
    int_value = f"(CASE WHEN {int_case} THEN {ival_a} {op} {ival_b} END)" if int_case != "FALSE" else "NULL"
    float_value = (
        _finite(f"(CASE WHEN {float_case} THEN {fval_a} {op} {fval_b} END)") if float_case != "FALSE" else "NULL"
    )
    if kinds == {"i"}:
        return SV(kinds, int_value, nullable=True)
    if kinds == {"f"}:
        return SV(kinds, float_value, nullable=True)
    t = f"(CASE WHEN {int_value} IS NOT NULL THEN 1 WHEN {float_value} IS NOT NULL THEN 2 END)"
    i = f"(CASE WHEN {t} = 1 THEN {int_value} ELSE {SV(frozenset({'f'}), float_value).mixed()[2]} END)"
    f = f"(CASE WHEN {t} = 1 THEN CAST({int_value} AS DOUBLE) ELSE {float_value} END)"
    k = f"(CASE WHEN {t} IS NOT NULL THEN 1 END)"
    return SV(kinds, parts=(k, t, i, f, "''"), nullable=True)


def convert(sv: SV, target: Kinds) -> list[str]:
    """SQL expressions for ``sv`` stored in a column of kinds ``target`` (sv.kinds <= target)."""
    rep = _rep(target)
    if rep == "m":
        return list(sv.mixed())
    if sv.rep == "n":
        return [f"CAST(NULL AS {_SQL_TYPE[rep]})"]
    return [sv.sql]


# --------------------------------------------------------------------------- type inference


def _term_kinds(term: Term, env: Mapping[str, Kinds]) -> Kinds:
    if isinstance(term, Var):
        return env.get(term.name, frozenset())
    if isinstance(term, Const):
        return frozenset({_kind(term.value)})
    return arith_kinds(term.op, _term_kinds(term.left, env), _term_kinds(term.right, env))


def infer_kinds(
    components: Sequence[Component],
    facts: Mapping[str, Sequence[Sequence[object]]],
    arity: Mapping[str, int],
) -> dict[str, list[Kinds]]:
    """Kinds per column; ``facts`` maps a predicate to its columns (empty if it has no rows)."""
    kinds: dict[str, list[Kinds]] = {p: [frozenset()] * n for p, n in arity.items()}
    for pred, columns in facts.items():
        if columns:
            kinds[pred] = [
                frozenset({column_kind(col)})
                if isinstance(col, np.ndarray)
                else frozenset(_TYPE_KIND[t] for t in set(map(type, col)))
                for col in columns
            ]
    for comp in components:  # dependencies first; iterate inside a component to a fixpoint
        changed = True
        while changed:
            changed = False
            for planned in comp.rules:
                env: dict[str, Kinds] = {}
                for step in planned.steps:
                    if isinstance(step, Scan):
                        for arg, k in zip(step.atom.args, kinds[step.atom.pred], strict=True):
                            if isinstance(arg, Var) and arg.name not in env:
                                env[arg.name] = k
                    elif isinstance(step, Bind):
                        env[step.var] = _term_kinds(step.expr, env)
                head = kinds[planned.head.pred]
                for j, arg in enumerate(planned.head.args):
                    new = head[j] | _term_kinds(arg, env)
                    if new != head[j]:
                        head[j] = new
                        changed = True
    return kinds


# --------------------------------------------------------------------------- the backend


def _columns(pred_kinds: Sequence[Kinds]) -> list[tuple[str, str]]:
    if not pred_kinds:
        return [("_u", "BOOLEAN")]
    out: list[tuple[str, str]] = []
    for j, k in enumerate(pred_kinds):
        rep = _rep(k)
        if rep == "m":
            out.extend((f"c{j}_{p}", t) for p, t in _PART_TYPES)
        else:
            out.append((f"c{j}", _SQL_TYPE[rep]))
    return out


def _table(pred: str, prefix: str = "r") -> str:
    return f'"{prefix}_{pred}"'


class _Compiler:
    def __init__(self, kinds: Mapping[str, list[Kinds]]) -> None:
        self.kinds = kinds
        self.aliases = count()

    def select(self, planned: PlannedRule, sources: Mapping[int, str]) -> str | None:
        """SQL for one rule; ``sources`` maps a scan's position to the table it reads (default full)."""
        env: dict[str, SV] = {}
        tables: list[str] = []
        where: list[str] = []
        for pos, step in enumerate(planned.steps):
            if isinstance(step, Scan):
                alias = f"t{next(self.aliases)}"
                tables.append(f"{sources.get(pos, _table(step.atom.pred))} AS {alias}")
                for j, (arg, k) in enumerate(zip(step.atom.args, self.kinds[step.atom.pred], strict=True)):
                    col = column_sv(k, f"{alias}.c{j}")
                    if isinstance(arg, Var) and arg.name not in env:
                        env[arg.name] = col
                    else:
                        where.append(sql_equal(self.term(arg, env), col))
            elif isinstance(step, Bind):
                value = self.term(step.expr, env)
                env[step.var] = value
                where.append(value.not_null())
            elif isinstance(step, Filter):
                where.append(sql_compare(step.op, self.term(step.left, env), self.term(step.right, env)))
            elif isinstance(step, AntiJoin):
                where.append(self.not_exists(step, env))
        condition = _and(*where)
        if condition == "FALSE":
            return None
        head_kinds = self.kinds[planned.head.pred]
        if planned.head.args:
            exprs = [
                e for arg, k in zip(planned.head.args, head_kinds, strict=True) for e in convert(self.term(arg, env), k)
            ]
        else:
            exprs = ["TRUE"]
        names = [name for name, _ in _columns(head_kinds)]
        select = ", ".join(f"{e} AS {n}" for e, n in zip(exprs, names, strict=True))
        sql = f"SELECT DISTINCT {select}"
        if tables:
            sql += " FROM " + ", ".join(tables)
        if condition != "TRUE":
            sql += f" WHERE {condition}"
        return sql

    def not_exists(self, step: AntiJoin, env: Mapping[str, SV]) -> str:
        alias = f"t{next(self.aliases)}"
        conditions = []
        first: dict[str, SV] = {}  # an existential variable's first column: later occurrences must equal it
        for j, (arg, k) in enumerate(zip(step.atom.args, self.kinds[step.atom.pred], strict=True)):
            col = column_sv(k, f"{alias}.c{j}")
            if isinstance(arg, Var) and arg.name in step.existential:
                if arg.name in first:
                    conditions.append(sql_equal(first[arg.name], col))
                else:
                    first[arg.name] = col
                continue
            conditions.append(sql_equal(self.term(arg, env), col))
        cond = _and(*conditions)
        if cond == "FALSE":
            return "TRUE"
        where = "" if cond == "TRUE" else f" WHERE {cond}"
        return f"(NOT EXISTS (SELECT 1 FROM {_table(step.atom.pred)} AS {alias}{where}))"

    def term(self, term: Term, env: Mapping[str, SV]) -> SV:
        if isinstance(term, Var):
            return env[term.name]
        if isinstance(term, Const):
            return const_sv(term.value)
        assert isinstance(term, BinOp)
        return sql_arith(term.op, self.term(term.left, env), self.term(term.right, env))


class DuckDBBackend:
    """Evaluate with DuckDB, one in-memory database per evaluation.

    Facts given as :class:`~credential.datalog.columns.Columns` enter as Arrow arrays without a
    per-row Python loop; the model stays in the database and is read back per predicate on first
    use, as numpy columns (``columns``) or as a set of rows (``[pred]``).
    """

    name = "duckdb"
    columnar = True

    def run(
        self, program: Program, facts: Mapping[str, Sequence[Row] | Columns], limits: Limits = DEFAULT_LIMITS
    ) -> Mapping[str, set[Row]]:
        con = duckdb.connect(":memory:")
        deadline = Deadline(limits)
        # a statement still running at the time limit is interrupted from a timer thread
        timer = threading.Timer(limits.timeout, _interrupt, (con,)) if limits.timeout is not None else None
        if timer is not None:
            timer.daemon = True
            timer.start()
        try:
            return self._run(con, program, facts, deadline)
        except (duckdb.OutOfRangeException, duckdb.ConversionException) as e:
            con.close()
            raise DatalogError("datalog.runtime", f"duckdb: {e}") from e
        except duckdb.InterruptException as e:
            con.close()
            raise deadline.timed_out([]) from e
        except BaseException:
            con.close()
            raise
        finally:
            if timer is not None:
                timer.cancel()

    def _run(
        self, con: Any, program: Program, facts: Mapping[str, Sequence[Row] | Columns], deadline: Deadline
    ) -> _Relations:
        components = plan_program(program)
        rows: dict[str, list[Row] | Columns] = {p: r if isinstance(r, Columns) else list(r) for p, r in facts.items()}
        arity = arities(program, rows)
        for comp in components:
            for planned in comp.rules:
                if planned.is_ground_fact:
                    values = tuple(a.value for a in planned.head.args if isinstance(a, Const))
                    given = rows.get(planned.head.pred, [])
                    rows[planned.head.pred] = [*(given.rows() if isinstance(given, Columns) else given), values]
        columns: dict[str, Sequence[Any]] = {}  # per predicate: its columns (numpy arrays or lists)
        for p, r in rows.items():
            if isinstance(r, Columns):
                columns[p] = list(r.arrays) if r else []
            else:
                columns[p] = transpose(r, arity[p]) if r else []
        kinds = infer_kinds(components, columns, arity)
        # statements without results are sent in batches (one call, statements in order)
        pending: list[str] = []

        def flush() -> None:
            if pending:
                con.execute(";\n".join(pending))
                pending.clear()

        copies = _copies(components, kinds, rows)
        for pred in arity:
            if pred not in copies:
                names = _columns(kinds[pred])
                pending.append(f"CREATE TABLE {_table(pred)} ({', '.join(f'{n} {t}' for n, t in names)})")
        for comp in components:  # in dependency order, so a view's source exists before it
            for pred in comp.preds:
                if pred in copies:
                    pending.append(f"CREATE VIEW {_table(pred)} AS SELECT * FROM {_table(copies[pred])}")
        flush()
        for pred in arity:
            if rows.get(pred):
                self._load(con, pred, kinds[pred], columns.get(pred, []))
        compiler = _Compiler(kinds)
        for comp in components:
            rules = [r for r in comp.rules if not r.is_ground_fact and not r.never]
            if not rules:
                continue
            deadline.check(comp.preds)
            if (
                comp.recursive
                and len(comp.preds) == 1
                and all(_recursive_scans(r, comp) <= 1 for r in rules)
                and not any(_computes_values(r) for r in rules)
            ):
                # one recursive CTE: it can only derive tuples over known values, so it terminates
                flush()
                self._linear(con, compiler, comp.preds[0], rules)
            elif comp.recursive:
                flush()
                self._recursive(con, compiler, comp, rules, deadline)
            else:
                for pred in comp.preds:
                    if pred in copies:
                        continue
                    selects = [s for r in rules if r.head.pred == pred if (s := compiler.select(r, {}))]
                    if selects and rows.get(pred):
                        pending.append(_insert_new_sql(_table(pred), selects, _table(pred)))
                    elif selects:  # the table is empty: the union (distinct rows) goes straight in
                        pending.append(f"INSERT INTO {_table(pred)} {' UNION '.join(selects)}")
        flush()
        for comp in components:
            for pred in comp.preds:
                if comp.recursive:
                    for prefix in ("d", "n"):
                        con.execute(f"DROP TABLE IF EXISTS {_table(pred, prefix)}")
        return _Relations(con, {pred: kinds[pred] for pred in arity})

    @staticmethod
    def _linear(con: Any, compiler: _Compiler, pred: str, rules: list[PlannedRule]) -> None:
        """Linear self-recursion as one recursive CTE (DuckDB iterates on the delta itself)."""
        base = [f"SELECT * FROM {_table(pred)}"]
        step: list[str] = []
        for rule in rules:
            positions = [i for i, s in enumerate(rule.steps) if isinstance(s, Scan) and s.atom.pred == pred]
            sql = compiler.select(rule, {positions[0]: "_rec"} if positions else {})
            if sql:
                (step if positions else base).append(sql)
        cols = ", ".join(n for n, _ in _columns(compiler.kinds[pred]))
        body = f"SELECT * FROM ({' UNION '.join(base)})"
        if step:
            body += f" UNION SELECT * FROM ({' UNION '.join(step)})"
        cte = f"WITH RECURSIVE _rec({cols}) AS ({body}) SELECT * FROM _rec"
        _insert_new(con, _table(pred), [cte], _table(pred))

    @staticmethod
    def _recursive(
        con: Any, compiler: _Compiler, comp: Component, rules: list[PlannedRule], deadline: Deadline
    ) -> None:
        members = set(comp.preds)
        for pred in comp.preds:
            cols = ", ".join(f"{n} {t}" for n, t in _columns(compiler.kinds[pred]))
            for prefix in ("d", "n"):
                con.execute(f"CREATE TEMP TABLE {_table(pred, prefix)} ({cols})")
        # round 0 runs every rule against the full tables; later rounds run each rule once per
        # recursive scan, that scan reading the previous round's delta
        plans: list[tuple[PlannedRule, dict[int, str]]] = [(r, {}) for r in rules]
        delta_plans = [
            (rule, {pos: _table(step.atom.pred, "d")})
            for rule in rules
            for pos, step in enumerate(rule.steps)
            if isinstance(step, Scan) and step.atom.pred in members
        ]
        for round_no in count():
            deadline.check(comp.preds, round_no)
            by_pred: dict[str, list[str]] = {}
            for rule, sources in plans:
                sql = compiler.select(rule, sources)
                if sql:
                    by_pred.setdefault(rule.head.pred, []).append(sql)
            for pred in comp.preds:
                con.execute(f"DELETE FROM {_table(pred, 'n')}")
                if pred in by_pred:
                    _insert_new(con, _table(pred, "n"), by_pred[pred], _table(pred))
            grown = False
            for pred in comp.preds:
                con.execute(f"DELETE FROM {_table(pred, 'd')}")
                con.execute(f"INSERT INTO {_table(pred, 'd')} SELECT * FROM {_table(pred, 'n')}")
                (n_new,) = con.execute(f"SELECT count(*) FROM {_table(pred, 'd')}").fetchone()
                if n_new:
                    grown = True
                    con.execute(f"INSERT INTO {_table(pred)} SELECT * FROM {_table(pred, 'd')}")
            if not grown or not delta_plans:
                break
            plans = delta_plans

    @staticmethod
    def _load(con: Any, pred: str, pred_kinds: Sequence[Kinds], columns: Sequence[Sequence[object]]) -> None:
        """Insert the facts of ``pred`` (its table exists) from Arrow arrays."""
        names = _columns(pred_kinds)
        if not pred_kinds:
            con.execute(f"INSERT INTO {_table(pred)} VALUES (TRUE)")
            return
        arrays: list[pa.Array] = []
        for j, col in enumerate(columns):
            arrays.extend(_arrow_column(col, _rep(pred_kinds[j])))
        table = pa.Table.from_arrays(arrays, names=[n for n, _ in names])
        con.register("_facts", table)
        con.execute(f"INSERT INTO {_table(pred)} SELECT DISTINCT * FROM _facts")
        con.unregister("_facts")


class _Relations(Mapping[str, set[Row]]):
    """The model, kept in the DuckDB database and read back per predicate on first use."""

    def __init__(self, con: Any, kinds: dict[str, list[Kinds]]) -> None:
        self._con = con
        self._kinds = kinds
        self._sets: dict[str, set[Row]] = {}

    def __getitem__(self, pred: str) -> set[Row]:
        if pred not in self._sets:
            pred_kinds = self._kinds[pred]  # KeyError for an unknown predicate
            if not pred_kinds:
                (n,) = self._con.execute(f"SELECT count(*) FROM {_table(pred)}").fetchone()
                self._sets[pred] = {()} if n else set()
            else:
                cols = self.columns(pred)
                self._sets[pred] = set(zip(*(c.tolist() for c in cols), strict=True))
        return self._sets[pred]

    def __iter__(self) -> Iterator[str]:
        return iter(self._kinds)

    def __len__(self) -> int:
        return len(self._kinds)

    def __contains__(self, pred: object) -> bool:
        return pred in self._kinds

    def masks(self, preds: Sequence[str], size: int) -> np.ndarray:
        """``Model.masks``: integer first arguments of many predicates, one query per batch."""
        out = np.zeros((len(preds), size), dtype=bool)
        direct = [(i, p) for i, p in enumerate(preds) if self._kinds[p] and _rep(self._kinds[p][0]) == "i"]
        for i, pred in enumerate(preds):
            if (i, pred) not in direct:
                cols = self.columns(pred)
                if cols and len(cols[0]):
                    out[i, np.asarray(cols[0], dtype=np.int64)] = True
        for start in range(0, len(direct), 256):
            batch = direct[start : start + 256]
            sql = " UNION ALL ".join(f"SELECT CAST({i} AS INTEGER) AS q, c0 FROM {_table(p)}" for i, p in batch)
            found = self._con.execute(sql).fetchnumpy()
            out[np.asarray(found["q"], dtype=np.int64), np.asarray(found["c0"], dtype=np.int64)] = True
        return out

    def masks_minus(self, pairs: Sequence[tuple[str, str]], size: int) -> np.ndarray:
        """``Model.masks_minus``: an anti-join per pair, one query per batch of pairs."""
        out = np.zeros((len(pairs), size), dtype=bool)
        direct: list[tuple[int, str, str]] = []
        for i, (a, b) in enumerate(pairs):
            ka, kb = self._kinds[a], self._kinds[b]
            if len(ka) == 1 and len(kb) == 1 and _rep(ka[0]) == "i" and _rep(kb[0]) in ("i", "n"):
                direct.append((i, a, b))
            else:
                both = self.masks([a, b], size)
                out[i] = both[0] & ~both[1]
        for start in range(0, len(direct), 128):
            sql = " UNION ALL ".join(
                f"SELECT CAST({i} AS INTEGER) AS q, c0 FROM {_table(a)} AS x "
                f"WHERE NOT EXISTS (SELECT 1 FROM {_table(b)} AS y WHERE y.c0 = x.c0)"
                for i, a, b in direct[start : start + 128]
            )
            found = self._con.execute(sql).fetchnumpy()
            out[np.asarray(found["q"], dtype=np.int64), np.asarray(found["c0"], dtype=np.int64)] = True
        return out

    def columns(self, pred: str) -> tuple[np.ndarray, ...]:
        """The rows of ``pred`` as numpy arrays, one per argument (mixed columns as object arrays)."""
        pred_kinds = self._kinds[pred]
        if not pred_kinds:
            return ()
        arrays = self._con.execute(f"SELECT * FROM {_table(pred)}").fetchnumpy()
        raw = [np.asarray(arrays[name]) for name, _ in _columns(pred_kinds)]
        values: list[np.ndarray] = []
        pos = 0
        for k in pred_kinds:
            if _rep(k) == "m":
                decoded = [_decode(*parts) for parts in zip(*(r.tolist() for r in raw[pos : pos + 5]), strict=True)]
                column = np.empty(len(decoded), dtype=object)
                column[:] = decoded
                values.append(column)
                pos += 5
            else:
                values.append(raw[pos])
                pos += 1
        return tuple(values)


def _decode(k: int, t: int, i: int, f: float, s: str) -> object:
    return bool(i) if t == 0 else i if t == 1 else f if t == 2 else s


def _copies(
    components: Sequence[Component], kinds: Mapping[str, list[Kinds]], rows: Mapping[str, object]
) -> dict[str, str]:
    """Predicates that are exact copies of another (``h(X, Y) :- s(X, Y).`` and nothing else, no
    facts, not recursive), mapped to their source: they become views instead of tables.

    A policy compiles to many such copies (a criterion's predicates copy its condition's), and a
    view costs no statement to fill.
    """
    out: dict[str, str] = {}
    for comp in components:
        if comp.recursive:
            continue
        for pred in comp.preds:
            defining = [r for r in comp.rules if r.head.pred == pred and not r.never]
            if len(defining) != 1 or rows.get(pred):
                continue
            steps = defining[0].steps
            if len(steps) != 1 or not isinstance(steps[0], Scan):
                continue
            atom, head = steps[0].atom, defining[0].head
            names = [a.name for a in head.args if isinstance(a, Var)]
            if (
                atom.pred != pred
                and atom.args == head.args
                and len(names) == len(head.args)
                and len(set(names)) == len(names)
                and "_" not in names
                and kinds[atom.pred] == kinds[pred]
            ):
                out[pred] = atom.pred
    return out


def _interrupt(con: Any) -> None:
    """Stop the statement running on ``con`` (the time limit); the evaluation may have just ended."""
    with contextlib.suppress(duckdb.Error):
        con.interrupt()


def _computes_values(rule: PlannedRule) -> bool:
    """Whether the rule binds a variable to arithmetic (so recursion through it may not terminate)."""
    return any(isinstance(step, Bind) and isinstance(step.expr, BinOp) for step in rule.steps)


def _recursive_scans(rule: PlannedRule, comp: Component) -> int:
    return sum(1 for s in rule.steps if isinstance(s, Scan) and s.atom.pred in comp.preds)


def _insert_new(con: Any, target: str, selects: Sequence[str], existing: str) -> None:
    """Insert into ``target`` the rows of the union of ``selects`` that ``existing`` lacks."""
    con.execute(_insert_new_sql(target, selects, existing))


def _insert_new_sql(target: str, selects: Sequence[str], existing: str) -> str:
    union = " UNION ".join(selects)
    return f"INSERT INTO {target} SELECT * FROM ({union}) EXCEPT SELECT * FROM {existing}"


def _arrow_column(col: Iterable[object], rep: str) -> list[pa.Array]:
    if isinstance(col, np.ndarray) and rep == "m":
        col = col.tolist()  # numpy scalars are not Python ints/floats for the mixed encoding
    try:
        if rep == "b":
            return [pa.array(col, type=pa.bool_())]
        if rep == "i" or rep == "n":
            return [pa.array(col, type=pa.int64())]
        if rep == "f":
            return [pa.array(col, type=pa.float64())]
        if rep == "s":
            return [pa.array(col, type=pa.string())]
    except OverflowError as e:
        raise DatalogError("datalog.invalid-value", f"integer does not fit in 64 bits (duckdb backend): {e}") from e
    k: list[int] = []
    t: list[int] = []
    i: list[int] = []
    f: list[float] = []
    s: list[str] = []
    for v in col:
        kind = _kind(v)
        t.append(_TAG[kind])
        if kind == "b":
            k.append(0)
            i.append(int(bool(v)))
            f.append(0.0)
            s.append("")
        elif kind == "i":
            assert isinstance(v, int)
            if not _INT64[0] <= v <= _INT64[1]:
                raise DatalogError("datalog.invalid-value", f"{v} does not fit in 64 bits (duckdb backend)")
            k.append(1)
            i.append(v)
            f.append(float(v))
            s.append("")
        elif kind == "f":
            assert isinstance(v, float)
            k.append(1)
            i.append(int(v) if v == math.trunc(v) and abs(v) < 9.2e18 else 0)
            f.append(v)
            s.append("")
        else:
            k.append(3)
            i.append(0)
            f.append(0.0)
            s.append(str(v))
    return [
        pa.array(k, type=pa.uint8()),
        pa.array(t, type=pa.uint8()),
        pa.array(i, type=pa.int64()),
        pa.array(f, type=pa.float64()),
        pa.array(s, type=pa.string()),
    ]


BACKEND_FACTORY = DuckDBBackend
