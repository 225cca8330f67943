"""Representation of one attribute, optionally against a reference distribution (metrics.md)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field, field_validator, model_validator

from datavet.checks.base import CheckType, SuiteContext, expectation
from datavet.checks.limits import Count, Reference, Severity, Share, reference_sums_to_something
from datavet.checks.uncertainty import Uncertain, scaled, uncertainty_kwargs, wilson
from datavet.figures.distribution import chi2_pvalue, compare, normalise
from datavet.figures.outcome import Outcome, check_max, check_min, ratio
from datavet.figures.tables import labelled_counts
from datavet.privacy.declare import PRESENT, cell, counts, over
from datavet.privacy.names import extend, rename
from datavet.privacy.rule import is_count, is_small

if TYPE_CHECKING:  # pragma: no cover
    from datavet.changes import Changes
    from datavet.datasheet.computed import Sheet
    from datavet.datasheet.models import Computed, Datasheet
    from datavet.datasheet.views import Chart
    from datavet.report import CheckResult

NAME = "representation"


class RepresentationSpec(Uncertain):
    column: str
    reference: Reference | None = Field(default=None, description="Reference population shares.")
    min_count: Count | None = None
    min_share: Share | None = None
    min_ratio: Annotated[float, Field(ge=0.0)] | None = Field(
        default=None, description="Each reference group's share/reference ratio must be at least this.")
    max_tvd: Share | None = None
    severity: Severity = "error"

    _ref = field_validator("reference")(reference_sums_to_something)

    @model_validator(mode="after")
    def _ratio_needs_reference(self) -> RepresentationSpec:
        if (self.min_ratio is not None or self.max_tvd is not None) and self.reference is None:
            raise ValueError("min_ratio and max_tvd compare against a reference; add 'reference'")
        return self


def representation(table: dict[str, Any], tokens: list[str], *, reference: Mapping[str, float] | None = None,
                   min_count: int | None = None, min_share: float | None = None,
                   min_ratio: float | None = None, max_tvd: float | None = None,
                   private: bool = False, names: Mapping[str, str] | None = None,
                   confidence: float | None = None, decide_on: str | None = None) -> Outcome:
    """Figures from the value counts of the attribute alone (``names``: the validation's numbering of
    a private attribute, see datavet.privacy.names). With ``confidence``: ``share_intervals``
    (Wilson) and ``ratio_intervals`` (the share's interval over the reference share);
    ``decide_on='interval'`` fails min_share / min_ratio only when the whole interval is below."""
    counts = {k[0]: n for k, n in labelled_counts(table, tokens).items()}
    if private:
        mapping = extend(names, [*counts, *(reference or {})], counts)
        counts = rename(counts, mapping)
        reference = rename(dict(reference), mapping) if reference else reference
    counts = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    non_missing = sum(counts.values())
    out = Outcome({"non_missing": non_missing, "counts": counts,
                   "shares": {g: ratio(n, non_missing) for g, n in counts.items()}})
    if reference:
        compare(out, counts, reference)
        out.observed["chi2_pvalue"] = chi2_pvalue(out, counts, reference)
    if counts:
        smallest = min(counts, key=lambda g: (counts[g], g))
        out.observed["min_share_observed"] = counts[smallest] / non_missing
        out.observed["min_count_observed"] = counts[smallest]
    else:
        out.observed["min_share_observed"] = None
        out.observed["min_count_observed"] = None
        out.notes.append("no non-missing rows: shares and smallest-group figures are null")
    if confidence is not None:
        _intervals(out, counts, reference, confidence)
    _limits(out, counts, reference, min_count, min_share, min_ratio, max_tvd, decide_on == "interval")
    return out


def _intervals(out: Outcome, counts: dict[str, int], reference: Mapping[str, float] | None,
               confidence: float) -> None:
    """Every group's share (reference groups absent from the data: 0 of the rows) and ratio interval."""
    total = sum(counts.values())
    groups = list(counts) + sorted(g for g in (reference or {}) if g not in counts)
    out.observed["confidence"] = confidence
    out.observed["share_intervals"] = {g: wilson(counts.get(g, 0), total, confidence) for g in groups}
    if reference:
        ref = normalise(reference)
        out.observed["ratio_intervals"] = {g: scaled(out.observed["share_intervals"][g], r)
                                           for g, r in sorted(ref.items())}


def _limits(out: Outcome, counts: dict[str, int], reference: Mapping[str, float] | None,
            min_count: int | None, min_share: float | None, min_ratio: float | None,
            max_tvd: float | None, on_interval: bool = False) -> None:
    groups = list(counts) + sorted(g for g in (reference or {}) if g not in counts)
    total = sum(counts.values())
    for g in groups:
        n = counts.get(g, 0)
        if min_count is not None and n < min_count:
            out.violate("counts", n, "<", "min_count", min_count, group=g, count=True)
        if min_share is not None and on_interval:
            upper = (out.observed["share_intervals"][g] or [None, None])[1]
            check_min(out, "share_upper", upper, "min_share", min_share, " (no rows)", group=g)
        elif min_share is not None:
            share = n / total if total else None
            if share is None:
                out.violate("shares", None, "<", "min_share", min_share, group=g, why=" (no rows)")
            elif share < min_share:
                out.violate("shares", share, "<", "min_share", min_share, group=g)
    if reference and min_ratio is not None and on_interval:
        for g, interval in sorted(out.observed["ratio_intervals"].items()):
            if interval is not None or normalise(reference)[g] > 0:
                check_min(out, "ratio_upper", interval[1] if interval else None, "min_ratio", min_ratio,
                          " (no rows)", group=g)
    elif reference and min_ratio is not None:
        ref = normalise(reference)
        for g, r in sorted(out.observed["ratios"].items()):
            if r is None:
                if ref[g] > 0:
                    out.violate("ratios", None, "<", "min_ratio", min_ratio, group=g, why=" (no rows)")
            elif r < min_ratio:
                out.violate("ratios", r, "<", "min_ratio", min_ratio, group=g)
    if reference and max_tvd is not None:
        check_max(out, "tvd", out.observed["tvd"], "max_tvd", max_tvd, " (no non-missing rows)")
    out.cap()


class Representation(CheckType):
    name = NAME
    expectation_type = "expect_column_representation_to_match_reference"
    expectation_module = "datavet.gx.expectations.expect_column_representation_to_match_reference"
    limit_keys = ("min_count", "min_share", "min_ratio", "max_tvd")
    spec_key = NAME
    spec_annotation = list[RepresentationSpec]
    numbers_groups = True

    def configurations(self, checks: Any, ctx: SuiteContext) -> list[dict[str, Any]]:
        from datavet.references import resolve_reference

        return [expectation(self, r.severity, splits=r.splits, column=r.column,
                            reference=resolve_reference(ctx.loaded, r.reference),
                            min_count=r.min_count, min_share=r.min_share, min_ratio=r.min_ratio, max_tvd=r.max_tvd,
                            private=r.column in ctx.private, **uncertainty_kwargs(r)) for r in checks.representation]

    def columns(self, checks: Any) -> set[str]:
        return {r.column for r in checks.representation}

    def references(self, checks: Any) -> list[tuple[str, Any]]:
        return [(r.column, r.reference) for r in checks.representation]

    def declare(self, result: Any, t: Any) -> None:
        declare_shares(result.observed, t, result.column)

    def metrics(self, result: Any, out: dict[str, Any]) -> None:
        shares_metric(self.name, result, out)

    def computed(self, results: list[CheckResult], sheet: Sheet, out: Computed) -> None:
        """C13: each attribute's groups, against the reference where the spec gives one."""
        from datavet.datasheet.computed import num, unique
        from datavet.datasheet.models import RepresentationFigure
        from datavet.privacy.masking import publish_count

        figures = []
        key = lambda r: (r.column, json.dumps(r.observed.get("reference_shares") or {}, sort_keys=True))  # noqa: E731
        for r in unique(results, key):
            o, col = r.observed, r.column or ""
            counts = {str(k): v for k, v in (o.get("counts") or {}).items()}
            ref = {str(k): v for k, v in (o.get("reference_shares") or {}).items()}
            figures.append(RepresentationFigure(
                column=col, non_missing=publish_count(o.get("non_missing"), sheet.t),
                groups=sheet.shares(col, counts, {str(k): v for k, v in (o.get("shares") or {}).items()}, ref,
                                    {str(k): v for k, v in (o.get("ratios") or {}).items()},
                                    {str(k): v for k, v in (o.get("share_intervals") or {}).items()}),
                tvd=num(o.get("tvd")), chi2_pvalue=num(o.get("chi2_pvalue")),
                absent_groups=[sheet.mask.label(col, g) for g in o.get("absent_groups") or []],
                unexpected_groups=[sheet.mask.label(col, g) for g in o.get("unexpected_groups") or []],
                has_reference=bool(ref), confidence=num(o.get("confidence")),
                reference=sheet.reference_of(sheet.spec.checks.representation, col, ref)))
        # drop a reference-less figure when the same column also has one with a reference
        with_ref = {f.column for f in figures if f.has_reference}
        out.representation = [f for f in figures if f.has_reference or f.column not in with_ref]

    def charts(self, computed: Computed, out: dict[str, list[Chart]]) -> None:
        from datavet.datasheet.views import bar_chart, ci_caption, num, pvalue, share_rows

        for i, r in enumerate(computed.representation):
            ref = " against its reference (black tick)" if r.has_reference else ""
            notes = [f"total variation distance {num(r.tvd)}", f"chi-square p {pvalue(r.chi2_pvalue)}"] \
                if r.has_reference else []
            notes += [f"absent: {', '.join(r.absent_groups)}"] if r.absent_groups else []
            notes += [f"not in the reference: {', '.join(r.unexpected_groups)}"] if r.unexpected_groups else []
            chart = bar_chart(
                f"rep-{i}", f"{r.column}: share of rows", f"Share of the {r.non_missing.display} rows with a known "
                f"{r.column}{ref}" + ci_caption(r.confidence), share_rows(r.groups), footnote="; ".join(notes),
                intervals=[g.interval for g in r.groups])
            chart.reference = r.reference.text if r.reference else ""
            out["representation"].append(chart)

    def skews(self, sheet: Datasheet) -> list[str]:
        from datavet.datasheet.croissant import fig, group_text

        out = []
        for r in sheet.computed.representation:
            text = f"Group representation by {r.column} (share of rows): " + ", ".join(group_text(g) for g in r.groups)
            if r.tvd is not None:
                text += f"; total variation distance from the reference {fig(r.tvd)}"
            if r.reference is not None:
                text += f"; reference population {r.reference.text}"
            if r.absent_groups:
                text += f"; absent: {', '.join(r.absent_groups)}"
            out.append(text + ".")
        return out

    def changes(self, new: list[CheckResult], old: list[CheckResult], threshold: int, out: Changes) -> None:
        out.share_shift = share_shifts(new, old, threshold)


def _shares_by(results: list[Any]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for result in results:
        if result.column and isinstance(result.observed.get("shares"), dict):
            out.setdefault(result.column, {k: v for k, v in result.observed["shares"].items() if v is not None})
    return out


def _small_groups(results: list[Any], threshold: int) -> dict[str, set[str]]:
    """Groups with 1..threshold-1 rows: their shares (and so their shifts) are not published."""
    out: dict[str, set[str]] = {}
    for result in results:
        counts = result.observed.get("counts")
        if result.column and isinstance(counts, dict):
            out.setdefault(result.column, set()).update(g for g, n in counts.items() if is_small(n, threshold))
    return out


def share_shifts(new: list[Any], old: list[Any], threshold: int) -> dict[str, dict[str, float]]:
    """Per column, each group's share(new) - share(old) from two versions' published results of one check
    (representation or geography); a group small in either version has no published shift."""
    shares_new, shares_old = _shares_by(new), _shares_by(old)
    small_new, small_old = _small_groups(new, threshold), _small_groups(old, threshold)
    out = {}
    for column in sorted(set(shares_new) | set(shares_old)):
        a, b = shares_new.get(column, {}), shares_old.get(column, {})
        hidden = small_new.get(column, set()) | small_old.get(column, set())
        out[column] = {g: a.get(g, 0.0) - b.get(g, 0.0) for g in sorted((set(a) | set(b)) - hidden)}
    return out


def declare_shares(o: dict[str, Any], t: Any, column: str | None, prefix: str = "") -> list[Any]:
    """The cells of a column's counts and shares (representation, and either version in drift)."""
    if not column:
        return []
    present = cell((column, PRESENT))
    t.count((prefix + "non_missing",), present, o.get(prefix + "non_missing"))
    values = o.get(prefix + "counts") if isinstance(o.get(prefix + "counts"), dict) else {}
    keys = counts(t, prefix + "counts", values, lambda g: cell((column, g)), present)
    t.domain(column, list(values))
    for key in ("shares", "ratios", "share_intervals", "ratio_intervals"):
        for g in (o.get(prefix + key) or {}) if isinstance(o.get(prefix + key), dict) else ():
            t.derived((prefix + key, g), cell((column, g)), present)
    if values and isinstance(o.get("min_count_observed"), (int, str)) and not prefix:
        smallest = min(values, key=lambda g: (values[g] if is_count(values[g]) else -1, g))
        t.count(("min_count_observed",), cell((column, smallest)), o["min_count_observed"])
        t.derived(("min_share_observed",), cell((column, smallest)), present)
    over(t, [("tvd",), ("chi2_pvalue",)] if not prefix else [], [*keys, present], o)
    return [t.at(k) for k in (*keys, present)]  # under the version being declared


def shares_metric(check: str, result: Any, out: dict[str, Any]) -> None:
    """``<check>_shares``: per column, the published shares (small groups left out)."""
    counts, shares = result.observed.get("counts") or {}, result.observed.get("shares") or {}
    if result.column:
        kept = {g: s for g, s in shares.items() if s is not None and not isinstance(counts.get(g), str)}
        out.setdefault(f"{check}_shares", {}).setdefault(result.column, kept)
        intervals = result.observed.get("share_intervals")
        if isinstance(intervals, dict):
            out.setdefault(f"{check}_share_intervals", {}).setdefault(
                result.column, {g: i for g, i in intervals.items() if i is not None and g in kept})
