"""Value types of the policy language, shared by the checker, the data layer and the compiler.

Runtime representation of values (after validation and as-of derivation):

=============  ===========================================================
type           Python value
=============  ===========================================================
number         float
percent        float (a fraction: 92% is 0.92)
text           str
yes/no         bool
date           datetime.date
one of ...     str (the member name)
scale NAME     str (the level name); :meth:`ScaleType.rank` gives its order
duration       Duration (months; a quarter is 3, a year 12)
=============  ===========================================================
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NumberType:
    def __str__(self) -> str:
        return "number"


@dataclass(frozen=True)
class PercentType:
    def __str__(self) -> str:
        return "percent"


@dataclass(frozen=True)
class TextType:
    def __str__(self) -> str:
        return "text"


@dataclass(frozen=True)
class BoolType:
    def __str__(self) -> str:
        return "yes/no"


@dataclass(frozen=True)
class DateType:
    def __str__(self) -> str:
        return "date"


@dataclass(frozen=True)
class DurationType:
    def __str__(self) -> str:
        return "duration"


@dataclass(frozen=True)
class EnumType:
    """``one of a, b, c``: unordered members."""

    members: tuple[str, ...]

    def __str__(self) -> str:
        return "one of " + ", ".join(self.members)


@dataclass(frozen=True)
class ScaleType:
    """A declared scale: levels in increasing order."""

    name: str
    levels: tuple[str, ...]

    def rank(self, level: str) -> int:
        return self.levels.index(level)

    def __str__(self) -> str:
        return self.name


ValueType = NumberType | PercentType | TextType | BoolType | DateType | DurationType | EnumType | ScaleType

NUMBER = NumberType()
PERCENT = PercentType()
TEXT = TextType()
BOOL = BoolType()
DATE = DateType()
DURATION = DurationType()


def is_numeric(t: ValueType) -> bool:
    return isinstance(t, NumberType | PercentType)


def is_ordered(t: ValueType) -> bool:
    """Types whose values compare with < <= > >=."""
    return isinstance(t, NumberType | PercentType | DateType | DurationType | ScaleType)


@dataclass(frozen=True, order=True)
class Duration:
    """A calendar duration in months (a quarter is 3, a year 12)."""

    months: int

    def __str__(self) -> str:
        if self.months % 12 == 0:
            n = self.months // 12
            return f"{n} year" + ("s" if n != 1 else "")
        if self.months % 3 == 0:
            n = self.months // 3
            return f"{n} quarter" + ("s" if n != 1 else "")
        return f"{self.months} month" + ("s" if self.months != 1 else "")


UNIT_MONTHS = {
    "month": 1,
    "months": 1,
    "quarter": 3,
    "quarters": 3,
    "year": 12,
    "years": 12,
}


@dataclass(frozen=True)
class BundleSpec:
    """What a policy declares about the data it reads; the data layer derives its schemas from it."""

    attributes: dict[str, ValueType]
    measures: dict[str, ValueType]
    statuses: frozenset[str]
    forms: frozenset[str]

    def __hash__(self) -> int:
        return hash((tuple(sorted(self.attributes)), tuple(sorted(self.measures)), self.statuses, self.forms))
