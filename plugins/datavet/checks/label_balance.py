"""Label (outcome) balance across the groups of an attribute (metrics.md)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field, field_validator

from datavet.checks.base import CheckType, SuiteContext, expectation
from datavet.checks.limits import Severity, Share, Strict
from datavet.figures.outcome import Outcome, check_max, check_min, ratio
from datavet.figures.privacy import extend, rename
from datavet.figures.tables import value_counts
from datavet.figures.values import is_missing, label, text
from datavet.yamltext import DataText

NAME = "label_balance"


class LabelBalanceSpec(Strict):
    label: str
    by: str
    positive: DataText | None = Field(default=None, description="Positive label value; defaults to the column's.")
    _positive = field_validator("positive")(lambda v: v.strip() if isinstance(v, str) else v)
    min_disparate_impact: Share | None = None
    max_parity_difference: Share | None = None
    severity: Severity = "error"


def label_balance(table: dict[str, Any], tokens: list[str], positive: str, *,
                  min_disparate_impact: float | None = None, max_parity_difference: float | None = None,
                  private_by: bool = False, by_names: Mapping[str, str] | None = None) -> Outcome:
    """Positive rates per group from the value counts of (attribute, label).

    Rows whose attribute is missing belong to no group; rows whose label is missing count in no
    rate. A label is positive when its text (stripped) equals ``positive``. ``rows`` gives each
    group's rows with a label (the denominator of its rate). ``by_names``: the validation's numbering of
    a private attribute (datavet.figures.privacy).
    """
    rows: dict[str, int] = {}
    positives: dict[str, int] = {}
    for (group, y), n in value_counts(table).items():
        if is_missing(group, tokens):
            continue
        g = label(group)
        rows.setdefault(g, 0)
        positives.setdefault(g, 0)
        if is_missing(y, tokens):
            continue
        rows[g] += n
        if text(y) == positive:
            positives[g] += n
    if private_by:
        mapping = extend(by_names, rows, rows)
        rows, positives = rename(rows, mapping), rename(positives, mapping)
    rates = {g: ratio(positives[g], rows[g]) for g in sorted(rows)}
    defined = [r for r in rates.values() if r is not None]
    out = Outcome({"positive_rates": rates, "rows": {g: rows[g] for g in sorted(rows)},
                   "disparate_impact": None, "parity_difference": None})
    if len(defined) < len(rates):
        out.notes.append(f"{len(rates) - len(defined)} group(s) have no non-missing label: their rate is null")
    if defined:
        out.observed["disparate_impact"] = ratio(min(defined), max(defined))
        out.observed["parity_difference"] = max(defined) - min(defined)
        if out.observed["disparate_impact"] is None:
            out.notes.append("disparate_impact is null: no group has a positive label (max rate is 0)")
    else:
        out.notes.append("no group has rows with a label: every balance figure is null")
    check_min(out, "disparate_impact", out.observed["disparate_impact"], "min_disparate_impact",
              min_disparate_impact)
    check_max(out, "parity_difference", out.observed["parity_difference"], "max_parity_difference",
              max_parity_difference)
    out.cap()
    return out


class LabelBalance(CheckType):
    name = NAME
    expectation_type = "expect_label_balance_across_groups"
    expectation_module = "datavet.gx.expectations.expect_label_balance_across_groups"
    limit_keys = ("min_disparate_impact", "max_parity_difference")
    spec_key = NAME
    spec_annotation = list[LabelBalanceSpec]

    def configurations(self, checks: Any, ctx: SuiteContext) -> list[dict[str, Any]]:
        spec = ctx.loaded.spec
        return [expectation(self, lb.severity, label=lb.label, by=lb.by,
                            positive=spec.positive_value(lb.label, lb.positive),
                            min_disparate_impact=lb.min_disparate_impact,
                            max_parity_difference=lb.max_parity_difference, by_is_private=lb.by in ctx.private)
                for lb in checks.label_balance]

    def columns(self, checks: Any) -> set[str]:
        return {c for lb in checks.label_balance for c in (lb.label, lb.by)}

    def problems(self, spec: Any) -> list[str]:
        return [f"label_balance on {lb.label!r} needs a positive value: set columns.{lb.label}.positive or the "
                "check's 'positive'" for lb in spec.checks.label_balance
                if lb.positive is None and (spec.columns.get(lb.label) is None
                                            or spec.columns[lb.label].positive is None)]

    def label_positives(self, checks: Any) -> dict[str, str]:
        return {lb.label: lb.positive for lb in checks.label_balance if lb.positive is not None}

    def subject(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        return {"column": kwargs.get("label"), "columns": None, "by": kwargs.get("by")}

    def publish(self, p: Any) -> None:
        p.rates_by_size("positive_rates", "rows")

    def metrics(self, result: Any, out: dict[str, Any]) -> None:
        key = f"{result.column}_by_{result.by}"
        rates = result.observed.get("positive_rates") or {}
        out.setdefault("positive_rate", {})[key] = {g: r for g, r in rates.items() if r is not None}
        out.setdefault("disparate_impact", {})[key] = result.observed.get("disparate_impact")
