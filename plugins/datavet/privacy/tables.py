"""What a report publishes, as count cells and the linear relations between them.

Every check type declares, for each of its results, the count cells behind its figures (a cell is
the number of rows matching a conjunction of conditions, e.g. ``sex = Female and income = >50K``)
and which figure gives which cells away: a count gives its cell, a rate or share gives its numerator
and its complement, an interval or a difference gives every cell it is computed from. The same cell
declared by two checks is one cell: that is how the layer sees that the missingness check and the
missingness-parity check talk about the same rows.

Relations are the additive facts an outside reader knows without being told: a total is the sum of
its parts (rows = missing + present, present = the sum over a column's values, a group = its rows
with a positive label + the others). :meth:`Tables.closure` derives them over every combination of
columns some check declares, so a reader who adds up figures from different checks is modelled too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

Cond = tuple[str, str]
Key = tuple[Cond, ...]
Path = tuple[Any, ...]

MISSING = "\x00missing"
PRESENT = "\x00present"
_NOT = "\x00not:"
VERSION = "\x00version"  # a pseudo-column: cells of an earlier version (the drift check's previous figures)


def cell(*conds: Cond) -> Key:
    """A cell's key: its conditions, sorted (the same cell has one key whatever declared it)."""
    return tuple(sorted(set(conds)))


def not_(value: str) -> str:
    """The condition "present and not ``value``" (a label's negatives)."""
    return _NOT + value


def _splittable(column: str) -> bool:
    return not column.startswith("\x00")


def _version(key: Key) -> str | None:
    return next((v for c, v in key if c == VERSION), None)


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python number it is."""
    return value.item() if hasattr(value, "item") and not isinstance(value, (str, bytes)) else value


def describe(key: Key) -> str:
    """A cell as people read it: ``sex=Female, income=>50K``; ``all rows`` for the empty key."""
    words = []
    for column, cond in key:
        if column == VERSION:
            words.append(f"{cond} version")
        elif cond == MISSING:
            words.append(f"{column} missing")
        elif cond == PRESENT:
            words.append(f"{column} present")
        elif cond.startswith(_NOT):
            words.append(f"{column}!={cond[len(_NOT):]}")
        elif cond.startswith("\x00"):  # a derived condition: "iso:NLD" (a country), "resolved", "token:?"
            words.append(f"{column} {cond[1:].replace(':', ' ')}")
        else:
            words.append(f"{column}={cond}")
    return ", ".join(words) or "all rows"


@dataclass(frozen=True)
class Figure:
    """One published figure: where it sits in a result's ``observed`` and the cells it gives away."""

    result: int
    path: Path
    cells: tuple[Key, ...]
    count: bool  # a count: its value is its one cell's value


@dataclass
class Tables:
    """The cells, figures and relations of one report (or one result), declared by the check types."""

    values: dict[Key, int] = field(default_factory=dict)
    figures: list[Figure] = field(default_factory=list)
    relations: list[tuple[Key, tuple[Key, ...]]] = field(default_factory=list)
    domains: dict[tuple[str | None, str], list[tuple[str, ...]]] = field(default_factory=dict)
    withheld_before: dict[Key, str] = field(default_factory=dict)  # published already: "<k" or "withheld"
    names: dict[int, str] = field(default_factory=dict)  # result index -> the table's name
    always: dict[Key, int] = field(default_factory=dict)  # published outside any check (the report's rows)
    positives: dict[str, str] = field(default_factory=dict)  # label column -> positive value, when known
    result: int = 0
    version: str | None = None  # set while a check declares an earlier version's cells
    split: tuple[str, str] | None = None  # (split column, split) while a split's result declares its cells

    def at(self, key: Key) -> Key:
        """``key`` in the version (and the split) being declared: a split's cells are more cells of the
        same table, whose sums over the splits are the whole's cells (the closure relates them)."""
        if self.split is not None and self.split[0] not in {c for c, _ in key}:
            key = cell(*key, self.split)
        return cell(*key, (VERSION, self.version)) if self.version else key

    def count(self, path: Path, key: Key, value: Any) -> None:
        """A published count at ``path`` of cell ``key``. A value already published as withheld is
        remembered as such (a published report published again stays as it was)."""
        key = self.at(key)
        value = _plain(value)
        if isinstance(value, bool) or value is None:
            return
        if isinstance(value, str):
            if value.startswith("<") or value == "withheld":
                self.withheld_before[key] = value
                self.figures.append(Figure(self.result, path, (key,), True))
            return
        if not isinstance(value, int):
            return
        self.values.setdefault(key, value)
        self.figures.append(Figure(self.result, path, (key,), True))

    def value(self, key: Key, value: Any) -> None:
        """A cell's exact value, known to the check but not itself published (a rate's numerator)."""
        value = _plain(value)
        if isinstance(value, int) and not isinstance(value, bool):
            self.values.setdefault(self.at(key), value)

    def derived(self, path: Path, *keys: Key) -> None:
        """A figure (rate, share, interval, difference, ...) that gives ``keys`` away."""
        self.figures.append(Figure(self.result, path, tuple(self.at(k) for k in keys), False))

    def unknown(self, path: Path) -> None:
        """A figure whose cells the report does not give (an older report without group sizes): withheld."""
        key = cell(("\x00unknown", repr((self.result, path))))
        self.withheld_before[key] = "withheld"
        self.figures.append(Figure(self.result, path, (key,), False))

    def relation(self, total: Key, parts: Iterable[Key]) -> None:
        """``total`` is the sum of ``parts`` (in the version being declared)."""
        self.relations.append((self.at(total), tuple(self.at(p) for p in parts)))

    def domain(self, column: str, values: Sequence[str]) -> None:
        """The values of ``column`` in the data, all of them (they partition its present rows). A figure
        without groups (an older report) says nothing about them."""
        if not values:
            return
        entry = self.domains.setdefault((self.version, column), [])
        if tuple(sorted(values)) not in entry:
            entry.append(tuple(sorted(values)))

    def closure(self) -> tuple[set[Key], list[tuple[Key, tuple[Key, ...]]]]:
        """Every cell a reader can reason about and every additive relation between them: each
        declared cell's sub-cells, split by each column it is declared together with."""
        declared = set(self.values) | set(self.withheld_before) | set(self.always)
        declared |= {k for f in self.figures for k in f.cells}
        declared |= {k for t, ps in self.relations for k in (t, *ps)}
        colsets = {frozenset(c for c, _ in k) for k in declared}
        nots: dict[tuple[str | None, str], set[str]] = {}
        for k in declared:
            for c, v in k:
                if v.startswith(_NOT):
                    nots.setdefault((_version(k), c), set()).add(v[len(_NOT):])
        keys: set[Key] = set()
        for k in declared:
            versioned = [p for p in k if p[0] == VERSION]
            plain = [p for p in k if p[0] != VERSION]
            for n in range(len(plain) + 1):
                for sub in combinations(plain, n):
                    keys.add(cell(*sub, *versioned))
        relations = {(t, tuple(sorted(ps))) for t, ps in self.relations}
        queue = list(keys)
        while queue:
            k = queue.pop()
            kc = {c for c, _ in k}
            ver = _version(k)
            for c in sorted({c for s in colsets if kc < s for c in s - kc if _splittable(c)}):
                if not any(kc | {c} <= s for s in colsets):
                    continue
                new: list[Key] = []
                missing, present = cell(*k, (c, MISSING)), cell(*k, (c, PRESENT))
                relations.add((k, tuple(sorted((missing, present)))))
                new += [missing, present]
                values = self.domains.get((ver, c), [])
                for vals in values:
                    parts = tuple(sorted(cell(*k, (c, v)) for v in vals))
                    relations.add((present, parts))
                    new += parts
                for v in nots.get((ver, c), ()):
                    pos, neg = cell(*k, (c, v)), cell(*k, (c, not_(v)))
                    relations.add((present, tuple(sorted((pos, neg)))))
                    new += [pos, neg]
                    for vals in values:
                        if v in vals:
                            others = tuple(sorted(cell(*k, (c, u)) for u in vals if u != v))
                            relations.add((neg, others))
                            new += others
                for n in new:
                    if n not in keys:
                        keys.add(n)
                        queue.append(n)
        keys |= {x for t, ps in relations for x in (t, *ps)}
        return keys, sorted(relations)
