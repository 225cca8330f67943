"""Label (outcome) balance across the groups of an attribute (metrics.md)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field, field_validator

from datavet.checks.base import CheckType, SuiteContext, expectation
from datavet.checks.breakdowns import default_bys
from datavet.checks.cells import by_columns, by_key, by_text, extremes, joined, private_kwargs, rename_cells
from datavet.checks.limits import Severity, Share
from datavet.checks.uncertainty import Uncertain, difference_interval, ratio_interval, uncertainty_kwargs, wilson
from datavet.figures.outcome import Outcome, check_max, check_min, ratio
from datavet.figures.tables import value_counts
from datavet.figures.values import is_missing, label, text
from datavet.privacy.declare import PRESENT, by_list, cell, group_key, not_, over, positive_of, rate_of, split
from datavet.privacy.names import extend, rename
from datavet.yamltext import DataText

if TYPE_CHECKING:  # pragma: no cover
    from datavet.datasheet.computed import Sheet
    from datavet.datasheet.models import Computed, Datasheet
    from datavet.datasheet.views import Chart
    from datavet.report import CheckResult

NAME = "label_balance"


class LabelBalanceSpec(Uncertain):
    label: str
    by: str | Annotated[list[str], Field(min_length=1)] = Field(
        description="The attribute, or a list of attributes whose combinations are the groups.")
    positive: DataText | None = Field(default=None, description="Positive label value; defaults to the column's.")
    _positive = field_validator("positive")(lambda v: v.strip() if isinstance(v, str) else v)
    min_disparate_impact: Share | None = None
    max_parity_difference: Share | None = None
    severity: Severity = "error"


def label_balance(table: dict[str, Any], tokens: list[str], positive: str, *,
                  min_disparate_impact: float | None = None, max_parity_difference: float | None = None,
                  private_by: bool = False, by_names: Mapping[str, str] | None = None,
                  private: list[bool] | None = None, names: list[Mapping[str, str] | None] | None = None,
                  confidence: float | None = None, decide_on: str | None = None) -> Outcome:
    """Positive rates per group from the value counts of (attribute..., label).

    Rows whose attribute (any of them) is missing belong to no group; rows whose label is missing
    count in no rate. A label is positive when its text (stripped) equals ``positive``. ``rows`` gives
    each group's rows with a label (the denominator of its rate). ``by_names``: the validation's
    numbering of a private attribute (datavet.privacy.names). With several attributes (the table
    has more than two columns) the groups are their combinations ("Male|White"), ``private[i]`` and
    ``names[i]`` rename attribute i, and ``best_cell`` / ``worst_cell`` name the highest and lowest rate.
    With ``confidence``: ``rate_intervals`` (Wilson) and the intervals of disparate impact and parity
    difference; ``decide_on='interval'`` fails a limit only when the whole interval violates it.
    """
    k = len(table["columns"]) - 1
    if k == 1 and private is not None:  # a list of one attribute is that attribute
        private_by, by_names = private[0], (names or [None])[0]
    cell_rows, cell_pos = rate_cells(table, tokens, positive)
    if k > 1:
        flags, numbering = private or [False] * k, names or [None] * k
        cell_pos = rename_cells(cell_pos, cell_rows, flags, numbering)
        cell_rows = rename_cells(cell_rows, cell_rows, flags, numbering)
    rows, positives = joined(cell_rows), joined(cell_pos)
    if private_by and k == 1:
        mapping = extend(by_names, rows, rows)
        rows, positives = rename(rows, mapping), rename(positives, mapping)
    rates = {g: ratio(positives[g], rows[g]) for g in sorted(rows)}
    defined = [r for r in rates.values() if r is not None]
    out = Outcome({"positive_rates": rates, "rows": {g: rows[g] for g in sorted(rows)},
                   "disparate_impact": None, "parity_difference": None})
    if k > 1:
        out.observed["best_cell"], out.observed["worst_cell"] = extremes(rates, out.observed["rows"])
    if len(defined) < len(rates):
        out.notes.append(f"{len(rates) - len(defined)} group(s) have no non-missing label: their rate is null")
    if defined:
        out.observed["disparate_impact"] = ratio(min(defined), max(defined))
        out.observed["parity_difference"] = max(defined) - min(defined)
        if out.observed["disparate_impact"] is None:
            out.notes.append("disparate_impact is null: no group has a positive label (max rate is 0)")
    else:
        out.notes.append("no group has rows with a label: every balance figure is null")
    if confidence is None:
        check_min(out, "disparate_impact", out.observed["disparate_impact"], "min_disparate_impact",
                  min_disparate_impact)
        check_max(out, "parity_difference", out.observed["parity_difference"], "max_parity_difference",
                  max_parity_difference)
    else:
        _intervals(out, positives, rows, confidence, decide_on == "interval", min_disparate_impact,
                   max_parity_difference)
    out.cap()
    return out


def declare_rates(o: dict[str, Any], t: Any, label: str | None, by: Any, rows_key: str, rates_key: str,
                  intervals_key: str | None = None) -> list[Any]:
    """The cells of positive rates by group (rows with a label, positives, the others); also used by
    the drift check for either version. Returns every positive and other cell."""
    if not label or not by:
        return []
    positive = positive_of(t, label)
    rows, rates = o.get(rows_key) or {}, o.get(rates_key) or {}
    cells: list[Any] = []
    for g, n in rows.items() if isinstance(rows, dict) else ():
        group = group_key(by, g)
        labelled, pos, neg = (cell(*group, (label, PRESENT)), cell(*group, (label, positive)),
                              cell(*group, (label, not_(positive))))
        t.count((rows_key, g), labelled, n)
        split(t, labelled, pos, neg, n, rate_of(rates.get(g), n))
        t.derived((rates_key, g), pos, neg)
        if intervals_key:
            t.derived((intervals_key, g), pos, neg)
        cells += [t.at(pos), t.at(neg)]  # under the version being declared
        for end in ("best_cell", "worst_cell"):
            if isinstance(o.get(end), dict) and o[end].get("cell") == g:
                t.count((end, "rows"), labelled, o[end].get("rows"))
                t.derived((end, "rate"), pos, neg)
    for g in rates if isinstance(rates, dict) else ():
        if g not in rows:
            t.unknown((rates_key, g))
    if len(by_list(by)) == 1:
        t.domain(by_list(by)[0], list(rows))
    return cells


def rate_cells(table: dict[str, Any], tokens: list[str], positive: str
               ) -> tuple[dict[tuple[str, ...], int], dict[tuple[str, ...], int]]:
    """(rows with a label, positive rows) per cell of raw group names, from the value counts of
    (attribute..., label). Rows with any attribute missing are in no cell; rows whose label is missing
    count in neither figure (a cell of only such rows has 0 rows)."""
    cell_rows: dict[tuple[str, ...], int] = {}
    cell_pos: dict[tuple[str, ...], int] = {}
    for key, n in value_counts(table).items():
        *groups, y = key
        if any(is_missing(g, tokens) for g in groups):
            continue
        cell = tuple(label(g) for g in groups)
        cell_rows.setdefault(cell, 0)
        cell_pos.setdefault(cell, 0)
        if is_missing(y, tokens):
            continue
        cell_rows[cell] += n
        if text(y) == positive:
            cell_pos[cell] += n
    return cell_rows, cell_pos


def _intervals(out: Outcome, positives: dict[str, int], rows: dict[str, int], confidence: float,
               on_interval: bool, min_di: float | None, max_pd: float | None) -> None:
    """Wilson intervals of the rates; disparate impact and parity difference over the rates' box."""
    intervals = {g: wilson(positives[g], rows[g], confidence) for g in sorted(rows)}
    boxes = [i for i in intervals.values() if i is not None]
    di, pd = ratio_interval(boxes), difference_interval(boxes)
    out.observed.update(confidence=confidence, rate_intervals=intervals, disparate_impact_interval=di,
                        parity_difference_interval=pd)
    if on_interval:  # fail only when the whole interval is on the wrong side
        check_min(out, "disparate_impact_upper", di[1] if di else None, "min_disparate_impact", min_di)
        check_max(out, "parity_difference_lower", pd[0] if pd else None, "max_parity_difference", max_pd)
    else:
        check_min(out, "disparate_impact", out.observed["disparate_impact"], "min_disparate_impact", min_di)
        check_max(out, "parity_difference", out.observed["parity_difference"], "max_parity_difference", max_pd)


class LabelBalance(CheckType):
    name = NAME
    expectation_type = "expect_label_balance_across_groups"
    expectation_module = "datavet.gx.expectations.expect_label_balance_across_groups"
    limit_keys = ("min_disparate_impact", "max_parity_difference")
    spec_key = NAME
    spec_annotation = list[LabelBalanceSpec]
    groups_by = True

    def configurations(self, checks: Any, ctx: SuiteContext) -> list[dict[str, Any]]:
        spec = ctx.loaded.spec
        listed = [expectation(self, lb.severity, splits=lb.splits, label=lb.label, by=lb.by,
                              positive=spec.positive_value(lb.label, lb.positive),
                              min_disparate_impact=lb.min_disparate_impact,
                              max_parity_difference=lb.max_parity_difference, **private_kwargs(lb.by, ctx.private),
                              **uncertainty_kwargs(lb))
                  for lb in checks.label_balance]
        for column in spec.columns_with_role("label"):  # every protected attribute by default (checks/breakdowns)
            own = [lb for lb in checks.label_balance if lb.label == column]
            positive = spec.columns[column].positive or next((lb.positive for lb in own if lb.positive), None)
            if positive is None:
                continue
            for by in default_bys(spec, column, [lb.by for lb in own]):
                listed.append(expectation(self, "warning", breakdown=True, label=column, by=by,
                                          positive=spec.positive_value(column, positive),
                                          **private_kwargs(by, ctx.private)))
        return listed

    def columns(self, checks: Any) -> set[str]:
        return {c for lb in checks.label_balance for c in (lb.label, *by_columns(lb.by))}

    def problems(self, spec: Any) -> list[str]:
        return [f"label_balance on {lb.label!r} needs a positive value: set columns.{lb.label}.positive or the "
                "check's 'positive'" for lb in spec.checks.label_balance
                if lb.positive is None and (spec.columns.get(lb.label) is None
                                            or spec.columns[lb.label].positive is None)]

    def label_positives(self, checks: Any) -> dict[str, str]:
        return {lb.label: lb.positive for lb in checks.label_balance if lb.positive is not None}

    def subject(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        return {"column": kwargs.get("label"), "columns": None, "by": kwargs.get("by")}

    def declare(self, result: Any, t: Any) -> None:
        declare_rates(result.observed, t, result.column, result.by, "rows", "positive_rates", "rate_intervals")
        o = result.observed
        cells = [k for f in t.figures if f.result == t.result and not f.count for k in f.cells]
        over(t, [("disparate_impact",), ("parity_difference",), ("disparate_impact_interval",),
                 ("parity_difference_interval",)], cells, o)

    def metrics(self, result: Any, out: dict[str, Any]) -> None:
        key = f"{result.column}_by_{by_key(result.by)}"
        rates = result.observed.get("positive_rates") or {}
        out.setdefault("positive_rate", {})[key] = {g: r for g, r in rates.items() if r is not None}
        out.setdefault("disparate_impact", {})[key] = result.observed.get("disparate_impact")
        if result.observed.get("confidence") is not None:
            intervals = result.observed.get("rate_intervals") or {}
            out.setdefault("positive_rate_interval", {})[key] = {g: i for g, i in intervals.items() if i is not None}
            out.setdefault("disparate_impact_interval", {})[key] = result.observed.get("disparate_impact_interval")

    def computed(self, results: list[CheckResult], sheet: Sheet, out: Computed) -> None:
        """C5: the label's positive rate across groups (a datasheet without a label column has none)."""
        from datavet.datasheet.computed import interval_of, num, sizes, unique
        from datavet.datasheet.models import LabelBalance as BalanceFigure

        if out.label is None:
            return
        for r in unique(results, lambda r: (r.column, json.dumps(r.by))):
            if r.column not in (None, out.label.column):
                continue
            o, by = r.observed, r.by or ""
            rows, intervals = sizes(o.get("rows")), sizes(o.get("rate_intervals"))
            out.label.balance.append(BalanceFigure(
                by=by_text(by), positive_rates=[sheet.rate(by, str(g), v, rows, intervals) for g, v in
                                                sheet.in_order(by, (o.get("positive_rates") or {}).items())],
                disparate_impact=num(o.get("disparate_impact")), parity_difference=num(o.get("parity_difference")),
                confidence=num(o.get("confidence")),
                disparate_impact_interval=interval_of(o.get("disparate_impact_interval")),
                best_cell=sheet.cell(by, o.get("best_cell")), worst_cell=sheet.cell(by, o.get("worst_cell"))))

    def charts(self, computed: Computed, out: dict[str, list[Chart]]) -> None:
        from datavet.datasheet.views import bar_chart, cells_note, ci_caption, num, range_text, rate_rows

        label = computed.label
        for i, b in enumerate(label.balance if label is not None else []):
            out["label"].append(bar_chart(
                f"label-{i}", f"Positive rate by {b.by}", f"Share of rows labelled {label.positive!s} in "
                f"each group of {b.by}" + ci_caption(b.confidence), rate_rows(b.positive_rates), css="bar label",
                footnote=f"disparate impact {num(b.disparate_impact)}" + range_text(b.disparate_impact_interval)
                         + f"; parity difference {num(b.parity_difference)}" + (f"; {note}" if (note := cells_note(
                             b.best_cell, b.worst_cell, "highest", "lowest")) else ""),
                intervals=[g.interval for g in b.positive_rates]))

    def skews(self, sheet: Datasheet) -> list[str]:
        from datavet.datasheet.croissant import fig, rates_text

        label, out = sheet.computed.label, []
        for b in label.balance if label is not None else []:
            text = f"Rate of {label.column} = {label.positive} by {b.by}: {rates_text(b.positive_rates)}"
            if b.disparate_impact is not None:
                text += f"; disparate impact {fig(b.disparate_impact)}"
            if b.parity_difference is not None:
                text += f"; parity difference {fig(b.parity_difference)}"
            out.append(text + ".")
        return out

