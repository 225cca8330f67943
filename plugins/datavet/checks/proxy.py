"""The ``proxy`` check: columns that stand in for a protected attribute, by the bias-corrected
Cramér's V of Bergsma (2013) between the attribute and each other column (docs/checks.md, "Proxy").

A model that never sees gender can still learn it from a column that encodes it (Adult's
``relationship``: Husband/Wife). Each figure comes from the shared value counts of
(protected, column), so the engine does the counting; a numeric column with more than ten distinct
values is cut into deciles from those counts.
"""

from __future__ import annotations

import bisect
import math
from typing import TYPE_CHECKING, Any

from pydantic import Field

from datavet.checks.base import CheckType, SuiteContext, expectation
from datavet.checks.limits import Severity, Share, Strict
from datavet.figures.outcome import Outcome, check_max
from datavet.figures.tables import value_counts
from datavet.figures.values import is_missing, label
from datavet.privacy.declare import PRESENT, cell

if TYPE_CHECKING:  # pragma: no cover
    from datavet.datasheet.computed import Sheet
    from datavet.datasheet.models import Computed
    from datavet.datasheet.views import Chart
    from datavet.report import CheckResult

NAME = "proxy"
DECILES = 10


class ProxySpec(Strict):
    protected: str = Field(description="The protected attribute.")
    columns: list[str] | None = Field(
        default=None, description="Columns to compare with it; default: every other column that is not "
                                  "identifying or sensitive.")
    max_cramers_v: Share = Field(description="Largest allowed bias-corrected Cramér's V.")
    severity: Severity = "error"


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def decile_cuts(counts: dict[Any, int]) -> list[Any]:
    """The deciles of a numeric column from its {value: rows}: for k = 1..9 the smallest value whose
    cumulative share reaches k/10 (numpy's ``inverted_cdf``), distinct and ascending."""
    values = sorted(counts)
    total = sum(counts.values())
    cuts: list[Any] = []
    cumulative, i = 0, 0
    for k in range(1, DECILES):
        while cumulative * DECILES < k * total:  # exact: no float rounding at the boundaries
            cumulative += counts[values[i]]
            i += 1
        if not cuts or cuts[-1] != values[i - 1]:
            cuts.append(values[i - 1])
    return cuts


def categories(pairs: dict[tuple[str, Any], int]) -> tuple[dict[tuple[str, str], int], bool]:
    """(protected group, category of the column) -> rows; numeric columns with more than ten distinct
    values become deciles "d1".."d10" (a value v is in the first decile whose cut is >= v)."""
    per_value: dict[Any, int] = {}
    for (_, v), n in pairs.items():
        per_value[v] = per_value.get(v, 0) + n
    binned = len(per_value) > DECILES and all(is_number(v) for v in per_value)
    cuts = decile_cuts(per_value) if binned else []
    out: dict[tuple[str, str], int] = {}
    for (g, v), n in pairs.items():
        cat = f"d{bisect.bisect_left(cuts, v) + 1}" if binned else label(v)
        out[(g, cat)] = out.get((g, cat), 0) + n
    return out, binned


def cramers_v(cells: dict[tuple[str, str], int]) -> tuple[float | None, int, int, int]:
    """(bias-corrected Cramér's V, rows, rows of the table r, columns k) of a contingency table given
    as {(row, column): n}. V is None when a corrected dimension leaves nothing to measure (a constant
    column, one distinct value per row)."""
    rows: dict[str, int] = {}
    cols: dict[str, int] = {}
    for (a, b), n in cells.items():
        rows[a] = rows.get(a, 0) + n
        cols[b] = cols.get(b, 0) + n
    n, r, k = sum(rows.values()), len(rows), len(cols)
    if n < 2:
        return None, n, r, k
    chi2 = math.fsum((cells.get((a, b), 0) - rows[a] * cols[b] / n) ** 2 / (rows[a] * cols[b] / n)
                     for a in rows for b in cols)
    phi2 = max(0.0, chi2 / n - (r - 1) * (k - 1) / (n - 1))
    r_corr, k_corr = r - (r - 1) ** 2 / (n - 1), k - (k - 1) ** 2 / (n - 1)
    denom = min(r_corr - 1, k_corr - 1)
    if denom <= 0:
        return None, n, r, k
    return math.sqrt(phi2 / denom), n, r, k


def proxy(tables: dict[str, dict[str, Any]], tokens: list[str], *, max_cramers_v: float | None = None) -> Outcome:
    """``tables``: {column: value counts of (protected, column)}. Rows where either is missing are left
    out of that column's table."""
    values: dict[str, float | None] = {}
    rows: dict[str, int] = {}
    binned: list[str] = []
    notes: list[str] = []
    for column, table in tables.items():
        pairs: dict[tuple[str, Any], int] = {}
        for (g, v), n in value_counts(table).items():
            if not is_missing(g, tokens) and not is_missing(v, tokens):
                pairs[(label(g), v)] = pairs.get((label(g), v), 0) + n
        cells, was_binned = categories(pairs)
        values[column], rows[column], r, k = cramers_v(cells)
        if was_binned:
            binned.append(column)
        if values[column] is None:
            why = "it has one value" if k == 1 else ("the attribute has one group" if r == 1 else
                                                     "no association is measurable (e.g. one value per row)")
            notes.append(f"cramers_v[{column}] is null: {why}")
    order = sorted(values, key=lambda c: (-(values[c] if values[c] is not None else -1.0), c))
    out = Outcome({"cramers_v": {c: values[c] for c in order}, "rows": {c: rows[c] for c in order},
                   "binned_columns": sorted(binned), "above_limit": []}, notes=notes)
    if max_cramers_v is not None:
        out.observed["above_limit"] = [c for c in order if values[c] is not None and values[c] > max_cramers_v]
        for c in out.observed["above_limit"]:
            check_max(out, "cramers_v", values[c], "max_cramers_v", max_cramers_v, group=c)
    out.cap()
    return out


class Proxy(CheckType):
    per_split = False  # its expectation asks for its own tables (not one count table a split can key)
    name = NAME
    expectation_type = "expect_column_to_have_no_proxies"
    expectation_module = "datavet.gx.expectations.expect_column_to_have_no_proxies"
    limit_keys = ("max_cramers_v",)
    spec_key = NAME
    spec_annotation = list[ProxySpec]

    def configurations(self, checks: Any, ctx: SuiteContext) -> list[dict[str, Any]]:
        return [expectation(self, p.severity, protected=p.protected, max_cramers_v=p.max_cramers_v,
                            columns=list(p.columns) if p.columns is not None else
                            [c for c in ctx.columns if c != p.protected and c not in ctx.private])
                for p in checks.proxy]

    def columns(self, checks: Any) -> set[str]:
        return {c for p in checks.proxy for c in (p.protected, *(p.columns or []))}

    def subject(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        return {"column": kwargs.get("protected"), "columns": None, "by": None}

    def declare(self, result: Any, t: Any) -> None:
        """A figure is a measure of association, no group's share: the rows compared per column are a
        count (both present), and that column's V goes with it."""
        p = result.column
        if not p:
            return
        for c, n in (result.observed.get("rows") or {}).items():
            both = cell((p, PRESENT), (c, PRESENT))
            t.count(("rows", c), both, n)
            t.derived(("cramers_v", c), both)

    def metrics(self, result: Any, out: dict[str, Any]) -> None:
        values = result.observed.get("cramers_v") or {}
        out.setdefault("cramers_v", {})[result.column] = {c: v for c, v in values.items() if v is not None}

    def computed(self, results: list[CheckResult], sheet: Sheet, out: Computed) -> None:
        """C13: Cramér's V per column as published (a column compared on a small number of rows withheld)."""
        from datavet.datasheet.computed import num, sizes, unique
        from datavet.datasheet.models import ProxyFigure

        for r in unique(results, lambda r: r.column):
            rows = sizes(r.observed.get("rows"))
            out.proxies.append(ProxyFigure(
                protected=r.column or "", limit=num(r.thresholds.get("max_cramers_v")),
                columns=[sheet.rate("", str(c), v, rows) for c, v in (r.observed.get("cramers_v") or {}).items()],
                above_limit=[str(c) for c in r.observed.get("above_limit") or []]))

    def charts(self, computed: Computed, out: dict[str, list[Chart]]) -> None:
        from datavet.datasheet.views import bar_chart, num, rate_rows

        for i, p in enumerate(computed.proxies):
            out["proxy"].append(bar_chart(
                f"proxy-{i}", f"Proxies for {p.protected}", f"Bias-corrected Cramér's V (Bergsma 2013) between "
                f"{p.protected} and each column, strongest first.", rate_rows(p.columns, pct=num), css="bar",
                footnote=(f"above the limit {num(p.limit)}: {', '.join(p.above_limit)}" if p.above_limit
                          else f"no column above the limit {num(p.limit)}"), more="columns"))
