"""Intersectional representation: rows per combination of two or more attributes (metrics.md)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import Field

from datavet.checks.base import CheckType, SuiteContext, expectation
from datavet.checks.limits import Count, Severity, SplitScoped
from datavet.figures.outcome import Outcome
from datavet.figures.tables import labelled_counts
from datavet.privacy.declare import counts, group_key
from datavet.privacy.names import extend

if TYPE_CHECKING:  # pragma: no cover
    from datavet.datasheet.computed import Sheet
    from datavet.datasheet.models import Computed, Datasheet
    from datavet.report import CheckResult

NAME = "intersectional"


class IntersectionalSpec(SplitScoped):
    columns: list[str] = Field(min_length=2, description="Two or more attributes whose combinations are counted.")
    min_count: Count = 0
    severity: Severity = "error"


SEPARATOR = "|"
MAX_LISTED_EMPTY = 1000
SMALLEST = 10


def intersectional(table: dict[str, Any], tokens: list[str], *, min_count: int = 0,
                   private: list[bool] | None = None,
                   names: list[Mapping[str, str] | None] | None = None) -> Outcome:
    """Figures from the value counts of the attributes together (rows with any of them missing are left out).

    ``names[i]``: the validation's numbering of private attribute i (datavet.privacy.names); without
    it the attribute's groups are numbered by their rows in the cells."""
    cells = labelled_counts(table, tokens)
    k = len(table["columns"])
    private = private or [False] * k
    names = names or [None] * k
    for i in range(k):
        if private[i]:
            per_value: dict[str, int] = {}
            for key, n in cells.items():
                per_value[key[i]] = per_value.get(key[i], 0) + n
            mapping = extend(names[i], per_value, per_value)
            cells = {key[:i] + (mapping[key[i]],) + key[i + 1:]: n for key, n in cells.items()}
    values = [sorted({key[i] for key in cells}) for i in range(k)]
    cell_counts = dict(sorted((SEPARATOR.join(key), n) for key, n in cells.items()))
    out = Outcome({"cell_counts": cell_counts})
    combos = math.prod(len(v) for v in values) if cells else 0
    n_empty = combos - len(cells)
    empty: list[str] = []
    if n_empty:
        for combo in itertools.product(*values):
            if combo not in cells:
                empty.append(SEPARATOR.join(combo))
                if len(empty) >= MAX_LISTED_EMPTY:
                    break
    if n_empty > len(empty):
        out.notes.append(f"empty_cells lists {len(empty)} of {n_empty} empty combinations")
    out.observed["empty_cells"] = empty
    by_count = sorted(cells.items(), key=lambda kv: (kv[1], kv[0]))
    smallest = by_count[:SMALLEST]
    out.observed["smallest_cells"] = [{"cell": SEPARATOR.join(key), "count": n} for key, n in smallest]
    if not cells:
        out.notes.append("no row has all the attributes present: there are no cells")
    if min_count > 0:
        if n_empty:
            example = ", ".join(empty[:5])
            out.finding(f"{n_empty} empty cell(s) (0 rows < min_count {min_count}), e.g. {example}")
        for key, n in by_count:
            if n >= min_count:
                break
            out.violate("cell_counts", n, "<", "min_count", min_count, group=SEPARATOR.join(key), count=True)
    out.cap()
    return out


class Intersectional(CheckType):
    name = NAME
    expectation_type = "expect_intersectional_cells_to_have_min_count"
    expectation_module = "datavet.gx.expectations.expect_intersectional_cells_to_have_min_count"
    limit_keys = ("min_count",)
    spec_key = NAME
    spec_annotation = list[IntersectionalSpec]

    def configurations(self, checks: Any, ctx: SuiteContext) -> list[dict[str, Any]]:
        return [expectation(self, i.severity, splits=i.splits, columns=list(i.columns), min_count=i.min_count,
                            private_columns=[c for c in i.columns if c in ctx.private]) for i in checks.intersectional]

    def columns(self, checks: Any) -> set[str]:
        return {c for i in checks.intersectional for c in i.columns}

    def declare(self, result: Any, t: Any) -> None:
        cols = list(result.columns or [])
        if not cols:
            return
        counts(t, "cell_counts", result.observed.get("cell_counts"), lambda g: group_key(cols, g))
        for i, entry in enumerate(result.observed.get("smallest_cells") or []):
            if isinstance(entry, dict):
                t.count(("smallest_cells", i, "count"), group_key(cols, str(entry.get("cell"))), entry.get("count"))

    def computed(self, results: list[CheckResult], sheet: Sheet, out: Computed) -> None:
        """C13: rows per combination of attributes, largest first, and the empty combinations."""
        from datavet.datasheet.computed import n_of, pairs, unique
        from datavet.datasheet.models import IntersectionCell, IntersectionFigure
        from datavet.privacy.masking import publish_count

        for r in unique(results, lambda r: tuple(r.columns or ())):
            cols = list(r.columns or [])
            cells = sorted(pairs(r.observed.get("cell_counts") or {}), key=lambda kv: (-n_of(kv[1]), kv[0]))
            empty = ["|".join(map(str, e)) if isinstance(e, (list, tuple)) else str(e)
                     for e in r.observed.get("empty_cells") or []]
            out.intersections.append(IntersectionFigure(
                columns=cols,
                cells=[IntersectionCell(cell=sheet.mask.combo(cols, k), count=publish_count(n, sheet.t))
                       for k, n in cells],
                empty_cells=[sheet.mask.combo(cols, e) for e in empty]))

    def skews(self, sheet: Datasheet) -> list[str]:
        return [f"Empty combinations of {' x '.join(i.columns)}: {'; '.join(i.empty_cells)}."
                for i in sheet.computed.intersections if i.empty_cells]
