"""The ``split_shift`` check: is the test split drawn from the same people as the train split?

Per split, each group's share of a protected attribute (and, with a label, each group's positive
rate), with Wilson intervals, compared with the reference split: the total variation distance
between the two share distributions, the per-group share differences and rate differences (split
minus reference). From the shared value counts of (split column, attribute[, label]).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from datavet.checks.base import CheckType, SuiteContext, expectation
from datavet.checks.limits import Severity, Share, Strict
from datavet.checks.uncertainty import wilson
from datavet.figures.outcome import Outcome, check_max, ratio
from datavet.figures.tables import value_counts
from datavet.figures.values import is_missing, label, text
from datavet.privacy.declare import PRESENT, cell, not_, over, positive_of
from datavet.yamltext import DataText

NAME = "split_shift"


class SplitShiftSpec(Strict):
    """A protected attribute's shares (and label rates) in each split against a reference split."""

    split_column: str | None = Field(default=None, description="Column naming each row's split (default: `split`, "
                                                               "the column a source.splits spec adds).")
    column: str = Field(description="The protected attribute.")
    label: str | None = Field(default=None, description="A label column: its positive rate per group per split.")
    positive: DataText | None = Field(default=None, description="The label's positive value.")
    reference_split: str | None = Field(
        default=None, description="The split the others are compared with (default: 'train', else the largest).")
    confidence: float = Field(default=0.95, gt=0, lt=1, description="Confidence of the Wilson intervals.")
    max_tvd: Share | None = Field(default=None, description="Largest TVD of a split's shares from the reference's.")
    max_share_difference: Share | None = Field(default=None, description="Largest |share difference| of a group.")
    max_rate_difference: Share | None = Field(default=None, description="Largest |positive-rate difference| "
                                                                        "of a group.")
    severity: Severity = "error"


def _tables(table: dict[str, Any], tokens: list[str], has_label: bool, positive: str | None
            ) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, int]], dict[str, dict[str, int]]]:
    """{split: {group: rows}}, {split: {group: rows with a label}}, {split: {group: positives}}."""
    counts: dict[str, dict[str, int]] = {}
    labelled: dict[str, dict[str, int]] = {}
    positives: dict[str, dict[str, int]] = {}
    for key, n in value_counts(table).items():
        s, g = key[0], key[1]
        if is_missing(s, tokens) or is_missing(g, tokens):
            continue
        s, g = label(s), label(g)
        counts.setdefault(s, {}).setdefault(g, 0)
        counts[s][g] += n
        if has_label:
            labelled.setdefault(s, {}).setdefault(g, 0)
            positives.setdefault(s, {}).setdefault(g, 0)
            if not is_missing(key[2], tokens):
                labelled[s][g] += n
                positives[s][g] += n if text(key[2]) == positive else 0
    return counts, labelled, positives


def split_shift(table: dict[str, Any], tokens: list[str], *, reference_split: str | None = None,
                positive: str | None = None, confidence: float = 0.95, max_tvd: float | None = None,
                max_share_difference: float | None = None, max_rate_difference: float | None = None) -> Outcome:
    """Figures from the value counts of (split, attribute[, label]); rows whose split or attribute
    is missing are left out, rows whose label is missing count in no rate."""
    has_label = len(table["columns"]) > 2
    counts, labelled, positives = _tables(table, tokens, has_label, positive)
    splits = sorted(counts)
    totals = {s: sum(counts[s].values()) for s in splits}
    ref = reference_split or ("train" if "train" in counts else max(splits, key=lambda s: (totals[s], s))
                              if splits else None)
    groups = sorted({g for s in splits for g in counts[s]})
    o: dict[str, Any] = {"splits": splits, "reference_split": ref, "rows": totals,
                         "counts": {s: {g: counts[s].get(g, 0) for g in groups} for s in splits},
                         "shares": {s: {g: ratio(counts[s].get(g, 0), totals[s]) for g in groups} for s in splits},
                         "share_intervals": {s: {g: wilson(counts[s].get(g, 0), totals[s], confidence) for g in groups}
                                             for s in splits},
                         "confidence": confidence, "tvd": {}, "share_differences": {},
                         "label": table["columns"][2] if has_label else None}
    out = Outcome(o)
    if ref not in counts:
        out.notes.append(f"the reference split {ref!r} has no rows: nothing is compared")
        check_max(out, "tvd", None, "max_tvd", max_tvd, " (no reference split)")
        return out
    for s in (x for x in splits if x != ref):
        diffs = {g: o["shares"][s][g] - o["shares"][ref][g] for g in groups}
        o["share_differences"][s] = diffs
        o["tvd"][s] = sum(abs(d) for d in diffs.values()) / 2
        check_max(out, "tvd", o["tvd"][s], "max_tvd", max_tvd, group=s)
        _check_largest(out, "share_differences", diffs, s, "max_share_difference", max_share_difference)
    if has_label:
        rows = {s: {g: labelled[s].get(g, 0) for g in groups} for s in splits}
        o["labelled_rows"] = rows
        o["positive_rates"] = {s: {g: ratio(positives[s].get(g, 0), rows[s][g]) for g in groups} for s in splits}
        o["rate_intervals"] = {s: {g: wilson(positives[s].get(g, 0), rows[s][g], confidence) for g in groups}
                               for s in splits}
        o["rate_differences"] = {}
        for s in (x for x in splits if x != ref):
            r, r0 = o["positive_rates"][s], o["positive_rates"][ref]
            diffs = {g: (r[g] - r0[g]) if r[g] is not None and r0[g] is not None else None for g in groups}
            o["rate_differences"][s] = diffs
            _check_largest(out, "rate_differences", diffs, s, "max_rate_difference", max_rate_difference)
    out.cap()
    return out


def _check_largest(out: Outcome, figure: str, diffs: dict[str, float | None], split: str, limit_name: str,
                   limit: float | None) -> None:
    """One violation per split: its largest |difference| over the groups (the group named after it)."""
    defined = {g: d for g, d in diffs.items() if d is not None}
    if limit is None or not defined:
        return
    g = max(defined, key=lambda x: (abs(defined[x]), x))
    if abs(defined[g]) > limit:
        out.violate(figure, abs(defined[g]), ">", limit_name, limit, group=split, suffix=f" (group {g})")


class SplitShift(CheckType):
    per_split = False  # it compares the splits itself
    name = NAME
    expectation_type = "expect_splits_to_have_similar_groups"
    expectation_module = "datavet.gx.expectations.expect_splits_to_have_similar_groups"
    limit_keys = ("max_tvd", "max_share_difference", "max_rate_difference")
    spec_key = NAME
    spec_annotation = list[SplitShiftSpec]

    def configurations(self, checks: Any, ctx: SuiteContext) -> list[dict[str, Any]]:
        from datavet.splits import default_split_column

        spec = ctx.loaded.spec
        split = default_split_column(spec)
        return [expectation(self, ss.severity, split_column=ss.split_column or split, column=ss.column, label=ss.label,
                            positive=spec.positive_value(ss.label, ss.positive) if ss.label else None,
                            reference_split=ss.reference_split, confidence=ss.confidence, max_tvd=ss.max_tvd,
                            max_share_difference=ss.max_share_difference, max_rate_difference=ss.max_rate_difference)
                for ss in checks.split_shift]

    def columns(self, checks: Any) -> set[str]:
        return {c for ss in checks.split_shift for c in (ss.split_column, ss.column, ss.label) if c}

    def problems(self, spec: Any) -> list[str]:
        private = [f"split_shift names {c!r}, whose values must not be published (identifying or sensitive): "
                   "compare a recoded column instead" for ss in spec.checks.split_shift
                   for c in (ss.split_column, ss.column, ss.label) if c and c in spec.private_columns]
        unnamed = [f"split_shift on {ss.column!r} needs split_column (the column naming each row's split), or "
                   "source.splits (whose version has the column split)" for ss in spec.checks.split_shift
                   if ss.split_column is None and spec.source.kind != "splits"]
        return private + unnamed + [f"split_shift on {ss.column!r} with label {ss.label!r} needs a positive value: set "
                f"columns.{ss.label}.positive or the check's 'positive'" for ss in spec.checks.split_shift
                if ss.label and ss.positive is None and (spec.columns.get(ss.label) is None
                                                         or spec.columns[ss.label].positive is None)]

    def subject(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        return {"column": kwargs.get("column"), "columns": None, "by": kwargs.get("split_column")}

    def declare(self, result: Any, t: Any) -> None:
        """A (split, group) is a cell; shares give it and its split's total away, rates their positives
        and the others; distances and differences every cell."""
        o, sc, col = result.observed, result.by, result.column
        if not sc or not col:
            return
        cells = []
        for s, per in (o.get("counts") or {}).items():
            total = cell((sc, s), (col, PRESENT))
            t.count(("rows", s), total, (o.get("rows") or {}).get(s))
            parts = []
            for g, n in per.items():
                key = cell((sc, s), (col, g))
                t.count(("counts", s, g), key, n)
                for figure in ("shares", "share_intervals"):
                    t.derived((figure, s, g), key, total)
                parts.append(key)
            t.relation(total, parts)
            cells += [*parts, total]
        lab = o.get("label") or "\x00label"
        positive = positive_of(t, lab)
        for s, per in (o.get("labelled_rows") or {}).items():
            for g, n in per.items():
                base = cell((sc, s), (col, g), (lab, PRESENT))
                t.count(("labelled_rows", s, g), base, n)
                pos, neg = cell((sc, s), (col, g), (lab, positive)), cell((sc, s), (col, g), (lab, not_(positive)))
                t.relation(base, [pos, neg])
                for figure in ("positive_rates", "rate_intervals"):
                    t.derived((figure, s, g), pos, neg)
                cells += [pos, neg]
        for s in o.get("tvd") or {}:
            over(t, [("tvd", s), ("share_differences", s), ("rate_differences", s)], cells, o)

    def metrics(self, result: Any, out: dict[str, Any]) -> None:
        out.setdefault("split_tvd", {})[result.column or ""] = {
            s: d for s, d in (result.observed.get("tvd") or {}).items() if d is not None}
