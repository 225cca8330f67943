"""The count tables one validation needs, computed together.

Each datavet expectation names the count tables it reads (``DatavetExpectation.count_plan``): value
counts by some columns, and missing counts by some columns with some tokens. Before a suite is
validated, the runner gathers the needs of all its expectations into one :class:`CountPlan` and makes
it current (:func:`planned`). Every expectation then depends on the single GX metric
``datavet.count_tables`` whose kwargs are that plan: the kwargs are identical across the suite, so GX
computes the metric once, and the engine's provider answers the whole plan in as few passes as it
can (datavet.gx.metrics.count_tables). A new check that needs a new column set adds a set to the
plan, not a scan.

An expectation validated outside a plan (plain GX, a hand-built validator), or whose needs the current
plan lacks, asks for a plan of its own needs: the same figures at the cost of its own pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

Columns = tuple[str, ...]
MissingKey = tuple[Columns, Columns]  # (by, tokens)


@dataclass(frozen=True)
class CountPlan:
    """Value counts by each of ``value_sets``; missing counts for each ``(by, tokens)`` of ``missing``."""

    value_sets: frozenset[Columns] = frozenset()
    missing: frozenset[MissingKey] = frozenset()

    def __or__(self, other: CountPlan) -> CountPlan:
        return CountPlan(self.value_sets | other.value_sets, self.missing | other.missing)

    def covers(self, other: CountPlan) -> bool:
        return other.value_sets <= self.value_sets and other.missing <= self.missing

    def kwargs(self) -> dict[str, Any]:
        """The metric's value kwargs: plain, sorted lists, so equal plans give equal GX metric ids."""
        return {"value_sets": [list(s) for s in sorted(self.value_sets)],
                "missing": [[list(by), list(tokens)] for by, tokens in sorted(self.missing)]}

    @classmethod
    def from_kwargs(cls, kwargs: dict[str, Any]) -> CountPlan:
        return cls(frozenset(tuple(s) for s in kwargs["value_sets"]),
                   frozenset((tuple(by), tuple(tokens)) for by, tokens in kwargs["missing"]))

    @classmethod
    def union(cls, plans: Iterable[CountPlan]) -> CountPlan:
        out = cls()
        for plan in plans:
            out = out | plan
        return out


def value_plan(columns: Iterable[str]) -> CountPlan:
    return CountPlan(value_sets=frozenset([tuple(columns)]))


def missing_plan(by: Iterable[str], tokens: Iterable[str]) -> CountPlan:
    return CountPlan(missing=frozenset([(tuple(by), tuple(tokens))]))


def grouping_sets(plan: CountPlan) -> dict[frozenset[str], tuple[list[Columns], list[MissingKey]]]:
    """The distinct column sets to group by (column order does not change counts), each with the
    value tables and missing tables it answers, in a stable order."""
    out: dict[frozenset[str], tuple[list[Columns], list[MissingKey]]] = {}
    for columns in sorted(plan.value_sets):
        out.setdefault(frozenset(columns), ([], []))[0].append(columns)
    for key in sorted(plan.missing):
        out.setdefault(frozenset(key[0]), ([], []))[1].append(key)
    return out


def token_union(plan: CountPlan) -> list[str]:
    """Every token of the plan once, in a stable order: one aggregate per column and token."""
    return sorted({t for _, tokens in plan.missing for t in tokens})


_CURRENT: ContextVar[CountPlan | None] = ContextVar("datavet_count_plan", default=None)


@contextmanager
def planned(plan: CountPlan) -> Iterator[CountPlan]:
    """Make ``plan`` the current one while a suite is validated."""
    token = _CURRENT.set(plan)
    try:
        yield plan
    finally:
        _CURRENT.reset(token)


def plan_for(needs: CountPlan) -> CountPlan:
    """The plan an expectation asks GX for: the current one when it covers ``needs``, else ``needs``
    (so a plan never hides a table: figures never depend on which plan is current)."""
    current = _CURRENT.get()
    return current if current is not None and current.covers(needs) else needs


def suite_plan(expectations: Iterable[Any]) -> CountPlan:
    """The union of the needs of a suite's datavet expectations (others need no count table)."""
    from datavet.gx.expectations.base import DatavetExpectation

    return CountPlan.union(e.count_plan() for e in expectations if isinstance(e, DatavetExpectation))
