"""The ``missingness_parity`` check: a column's missing rate per group of an attribute (rows where the
attribute is missing form ``<missing>``), and the spread between groups (metrics.md)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field, model_validator

from datavet.checks.base import CheckType, SuiteContext, expectation
from datavet.checks.breakdowns import default_bys
from datavet.checks.cells import by_columns, by_key, extremes, joined, private_kwargs, rename_cells
from datavet.checks.limits import Severity, Share, SplitScoped
from datavet.figures.outcome import Outcome, check_max, fmt, ratio
from datavet.figures.tables import missing_by_cell
from datavet.privacy.declare import MISSING, MISSING_GROUP, PRESENT, by_list, cell, group_key, over, rate_of, split
from datavet.privacy.names import extend, rename

if TYPE_CHECKING:  # pragma: no cover
    from datavet.datasheet.computed import Sheet
    from datavet.datasheet.models import Computed, Datasheet
    from datavet.datasheet.views import Chart
    from datavet.report import CheckResult

NAME = "missingness_parity"


class ParitySpec(SplitScoped):
    column: str = Field(description="Column whose missingness is compared across groups.")
    by: str | Annotated[list[str], Field(min_length=1)] = Field(
        description="Attribute whose groups are compared, or a list of attributes (their combinations).")
    max_diff: Share | None = Field(default=None, description="Largest allowed max_rate - min_rate.")
    max_ratio: Annotated[float, Field(ge=1.0)] | None = Field(
        default=None, description="Largest allowed max_rate / min_rate.")
    severity: Severity = "error"

    @model_validator(mode="after")
    def _has_threshold(self) -> ParitySpec:
        if self.max_diff is None and self.max_ratio is None:
            raise ValueError("give max_diff (e.g. 0.02) and/or max_ratio (e.g. 2.0)")
        return self


def missingness_parity(table: dict[str, Any], column: str, *, max_diff: float | None = None,
                       max_ratio: float | None = None, private_by: bool = False,
                       by_names: Mapping[str, str] | None = None, private: list[bool] | None = None,
                       names: list[Mapping[str, str] | None] | None = None) -> Outcome:
    """Missing rate of ``column`` per group of the grouped missing counts' attribute; ``group_rows``
    gives each group's rows (the denominator of its rate). ``by_names``: the validation's numbering of
    a private attribute (datavet.privacy.names). Grouped by several attributes, the groups are their
    combinations ("Male|White"; a row with any of them missing is in ``<missing>``), ``private[i]`` and
    ``names[i]`` rename attribute i, and ``best_cell`` / ``worst_cell`` name the lowest and highest rate."""
    k = len(table["by"])
    if k == 1 and private is not None:  # a list of one attribute is that attribute
        private_by, by_names = private[0], (names or [None])[0]
    cells = missing_by_cell(table, column)
    if k > 1:
        real = {c: v for c, v in cells.items() if len(c) == k}
        renamed = rename_cells(real, {c: r for c, (r, _) in real.items()}, private or [False] * k,
                               names or [None] * k)
        cells = {**renamed, **{c: v for c, v in cells.items() if len(c) != k}}
    per_group = joined(cells) if k > 1 else {"|".join(c): v for c, v in cells.items()}
    if private_by and k == 1:
        sizes = {g: r for g, (r, _) in per_group.items()}
        per_group = rename(per_group, extend(by_names, sizes, sizes))
    rates = {g: ratio(m, r) for g, (r, m) in sorted(per_group.items())}
    defined = [v for v in rates.values() if v is not None]
    out = Outcome({"group_missing_rate": rates,
                   "group_rows": {g: r for g, (r, _) in sorted(per_group.items())},
                   "max_rate": max(defined) if defined else None,
                   "min_rate": min(defined) if defined else None,
                   "max_diff": None, "max_ratio": None})
    if k > 1:
        worst, best = extremes(rates, out.observed["group_rows"])
        out.observed["best_cell"], out.observed["worst_cell"] = best, worst
    if not defined:
        out.notes.append("no group has rows: every parity figure is null")
    else:
        out.observed["max_diff"] = out.observed["max_rate"] - out.observed["min_rate"]
        out.observed["max_ratio"] = ratio(out.observed["max_rate"], out.observed["min_rate"])
        if out.observed["max_ratio"] is None:
            out.notes.append("max_ratio is null: min_rate is 0 (some group has no missing cells)")
    check_max(out, "max_diff", out.observed["max_diff"], "max_diff", max_diff)
    if max_ratio is not None and out.observed["max_ratio"] is None and defined:
        # min_rate = 0 while another group has missing cells: the ratio is unbounded.
        if out.observed["max_rate"] > 0:
            out.finding(f"max_ratio is unbounded (min_rate = 0, max_rate = {fmt(out.observed['max_rate'])}) "
                        f"> max_ratio {fmt(max_ratio)}")
    else:
        check_max(out, "max_ratio", out.observed["max_ratio"], "max_ratio", max_ratio)
    out.cap()
    return out


class MissingnessParity(CheckType):
    """Configured inside the missingness block (``checks.missingness.parity``)."""

    name = NAME
    expectation_type = "expect_column_missingness_parity_across_groups"
    expectation_module = "datavet.gx.expectations.expect_column_missingness_parity_across_groups"
    limit_keys = ("max_diff", "max_ratio")
    groups_by = True

    def _entries(self, checks: Any) -> list[ParitySpec]:
        return list(checks.missingness.parity) if checks.missingness else []

    def configurations(self, checks: Any, ctx: SuiteContext) -> list[dict[str, Any]]:
        entries = self._entries(checks)
        listed = [expectation(self, p.severity, splits=p.splits, column=p.column, by=p.by, max_diff=p.max_diff,
                              max_ratio=p.max_ratio, **private_kwargs(p.by, ctx.private))
                  for p in entries]
        for column in dict.fromkeys(p.column for p in entries):  # every protected attribute by default
            for by in default_bys(ctx.loaded.spec, column, [p.by for p in entries if p.column == column]):
                listed.append(expectation(self, "warning", breakdown=True, column=column, by=by,
                                          **private_kwargs(by, ctx.private)))
        return listed

    def columns(self, checks: Any) -> set[str]:
        return {c for p in self._entries(checks) for c in (p.column, *by_columns(p.by))}

    def declare(self, result: Any, t: Any) -> None:
        o, c, by = result.observed, result.column, result.by
        if not c or not by:
            return
        rows, rates = o.get("group_rows") or {}, o.get("group_missing_rate") or {}
        cells: list[Any] = []
        for g, n in rows.items():
            group = group_key(by, g)
            miss, pres = cell(*group, (c, MISSING)), cell(*group, (c, PRESENT))
            t.count(("group_rows", g), group, n)
            split(t, group, miss, pres, n, rate_of(rates.get(g), n))
            t.derived(("group_missing_rate", g), miss, pres)
            cells += [miss, pres]
            for end in ("best_cell", "worst_cell"):
                if isinstance(o.get(end), dict) and o[end].get("cell") == g:
                    t.count((end, "rows"), group, o[end].get("rows"))
                    t.derived((end, "rate"), miss, pres)
        for g in rates:
            if g not in rows:
                t.unknown(("group_missing_rate", g))
        groups = [g for g in rows if g != MISSING_GROUP]
        if len(by_list(by)) == 1:
            t.domain(by_list(by)[0], groups)
        else:
            t.relation((), [group_key(by, g) for g in rows])
            t.relation(cell((c, MISSING)), [cell(*group_key(by, g), (c, MISSING)) for g in rows])
        over(t, [("max_rate",), ("min_rate",), ("max_diff",), ("max_ratio",)], cells, o)

    def metrics(self, result: Any, out: dict[str, Any]) -> None:
        if isinstance(result.by, list):  # a string ``by`` publishes no parity metric, as before
            rates = result.observed.get("group_missing_rate") or {}
            out.setdefault("missing_rate_by_group", {})[f"{result.column}_by_{by_key(result.by)}"] = {
                g: r for g, r in rates.items() if r is not None}

    def computed(self, results: list[CheckResult], sheet: Sheet, out: Computed) -> None:
        """C6: a column's missing rate within each group."""
        from datavet.checks.cells import by_text
        from datavet.datasheet.computed import num, sizes, unique
        from datavet.datasheet.models import ParityFigure

        for r in unique(results, lambda r: (r.column, json.dumps(r.by))):
            o, by = r.observed, r.by or ""
            rows = sizes(o.get("group_rows"))
            out.parity.append(ParityFigure(
                column=r.column or "", by=by_text(by),
                groups=[sheet.rate(by, str(g), v, rows)
                        for g, v in sheet.in_order(by, (o.get("group_missing_rate") or {}).items())],
                max_rate=num(o.get("max_rate")), min_rate=num(o.get("min_rate")),
                max_diff=num(o.get("max_diff")), max_ratio=num(o.get("max_ratio")),
                best_cell=sheet.cell(by, o.get("best_cell")), worst_cell=sheet.cell(by, o.get("worst_cell"))))

    def charts(self, computed: Computed, out: dict[str, list[Chart]]) -> None:
        from datavet.datasheet.views import bar_chart, cells_note, pct, rate_rows

        for i, p in enumerate(computed.parity):
            out["missingness"].append(bar_chart(
                f"miss-par-{i}", f"{p.column} missing, by {p.by}", f"Missing rate of {p.column} within each "
                f"group of {p.by}; largest difference {pct(p.max_diff, 2)}.", rate_rows(p.groups), css="bar miss",
                footnote=cells_note(p.best_cell, p.worst_cell, "lowest", "highest")))

    def skews(self, sheet: Datasheet) -> list[str]:
        from datavet.datasheet.croissant import fig, rates_text

        out = []
        for p in sheet.computed.parity:
            text = f"Missing rate of {p.column} by {p.by}: {rates_text(p.groups)}"
            if p.max_diff is not None:
                text += f"; largest difference {fig(p.max_diff)}"
            out.append(text + ".")
        return out
