"""The ``drift`` check: how far a version moved from the newest certified version of the same dataset
(docs/checks.md, "Drift").

A dataset that passed its checks once can drift away from what was certified (a new extract that lost
most of one group's rows). Two comparisons, each against the previous certified version:

- ``{column, max_tvd}``: the share of every group now and then, each group's change, and the total
  variation distance between the two share vectors;
- ``{column: <label>, by, max_rate_change}``: each group's positive rate now and then and its change;
  the largest absolute change is held to the limit.

The current version's figures come from the shared count tables (``datavet.count_tables``); the
previous version's exact counts are computed by the engine from that version's certified bytes when
the suite is built (the stored report only has published figures, small cells withheld) and reach
the GX expectation as plain JSON kwargs (``previous``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from datavet.checks.base import CheckType, PreviousVersion, SuiteContext, expectation
from datavet.checks.cells import by_columns, by_key, joined, rename_cells
from datavet.checks.label_balance import rate_cells
from datavet.checks.limits import Severity, Share, Strict
from datavet.figures.outcome import Outcome, check_max, ratio
from datavet.figures.tables import labelled_counts
from datavet.figures.values import unique_tokens
from datavet.privacy.declare import PRESENT, cell, group_key, over
from datavet.privacy.names import extend, rename
from datavet.yamltext import DataText

if TYPE_CHECKING:  # pragma: no cover
    from datavet.changes import Changes
    from datavet.report import CheckResult

NAME = "drift"
FILLED_IN = "its exact figures are filled in when datavet validates"
FIRST_VERSION = "no earlier certified version of this dataset: nothing to compare with (drift figures are null)"


class DriftSpec(Strict):
    column: str = Field(description="The attribute whose shares are compared, or with 'by' the label.")
    by: str | Annotated[list[str], Field(min_length=1)] | None = Field(
        default=None, description="With a label: the attribute (or attributes) whose groups' positive rates "
                                  "are compared.")
    positive: DataText | None = Field(default=None, description="Positive label value; defaults to the column's.")
    _positive = field_validator("positive")(lambda v: v.strip() if isinstance(v, str) else v)
    max_tvd: Share | None = Field(default=None, description="Largest allowed total variation distance between "
                                                            "the share vectors of the two versions.")
    max_rate_change: Share | None = Field(default=None, description="Largest allowed change of a group's "
                                                                    "positive rate (absolute).")
    severity: Severity = "error"

    @model_validator(mode="after")
    def _limits_fit(self) -> DriftSpec:
        if self.by is None and (self.max_rate_change is not None or self.positive is not None):
            raise ValueError("max_rate_change and positive compare a label's rates by groups: add 'by'")
        if self.by is not None and self.max_tvd is not None:
            raise ValueError("max_tvd compares the shares of one column: drop 'by' (or use max_rate_change)")
        return self


def _signed(counts: Mapping[str, int], previous: Mapping[str, int]) -> tuple[list[str], list[str]]:
    """(appeared, disappeared): groups with rows in one version only."""
    return (sorted(g for g in counts if counts[g] and not previous.get(g)),
            sorted(g for g in previous if previous[g] and not counts.get(g)))


def share_drift(table: dict[str, Any], tokens: Sequence[str], previous: Mapping[str, Any] | None, *,
                max_tvd: float | None = None, private: bool = False,
                names: Mapping[str, str] | None = None) -> Outcome:
    """Shares of each group of one column now (from the value counts of the column) and in the
    previous certified version (``previous["counts"]``: {group: rows}), over the rows where the column
    is not missing; a group absent from one version has share 0 there. ``names``: the validation's
    numbering of a private column."""
    now = {k[0]: n for k, n in labelled_counts(table, tokens).items()}
    before = {str(g): int(n) for g, n in ((previous or {}).get("counts") or {}).items()}
    if private:
        mapping = extend(names, [*now, *before], {g: now.get(g, 0) + before.get(g, 0) for g in {*now, *before}})
        now, before = rename(now, mapping), rename(before, mapping)
    groups = sorted(set(now) | set(before))
    total, total_before = sum(now.values()), sum(before.values())
    out = Outcome({"previous_tag": None, "previous_md5": None, "non_missing": total,
                   "counts": {g: now.get(g, 0) for g in groups},
                   "shares": {g: ratio(now.get(g, 0), total) for g in groups}})
    if previous is None:
        out.observed.update(previous_non_missing=None, previous_counts=None, previous_shares=None,
                            share_changes=None, tvd=None, appeared=[], disappeared=[])
        out.notes.append(FIRST_VERSION)
        return out
    shares, shares_before = out.observed["shares"], {g: ratio(before.get(g, 0), total_before) for g in groups}
    changes = {g: (shares[g] - shares_before[g] if total and total_before else None) for g in groups}
    tvd = 0.5 * math.fsum(abs(d) for d in changes.values()) if total and total_before else None
    appeared, disappeared = _signed(now, before)
    out.observed.update(previous_tag=previous.get("tag"), previous_md5=previous.get("md5"),
                        previous_non_missing=total_before, previous_counts={g: before.get(g, 0) for g in groups},
                        previous_shares=shares_before, share_changes=changes, tvd=tvd,
                        appeared=appeared, disappeared=disappeared)
    empty = "this version" if not total else "the previous version"
    if tvd is None:
        out.notes.append(f"tvd is null: {empty} has no non-missing rows of the column")
    check_max(out, "tvd", tvd, "max_tvd", max_tvd, f" ({empty} has no non-missing rows)")
    return out


def _cells_of(previous: Mapping[str, Any] | None) -> tuple[dict[tuple[str, ...], int], dict[tuple[str, ...], int]]:
    rows: dict[tuple[str, ...], int] = {}
    positives: dict[tuple[str, ...], int] = {}
    for group, n, k in (previous or {}).get("cells") or []:
        rows[tuple(str(c) for c in group)] = int(n)
        positives[tuple(str(c) for c in group)] = int(k)
    return rows, positives


def rate_drift(table: dict[str, Any], tokens: Sequence[str], positive: str, previous: Mapping[str, Any] | None, *,
               max_rate_change: float | None = None, private: Sequence[bool] | None = None,
               names: Sequence[Mapping[str, str] | None] | None = None) -> Outcome:
    """Positive rate of each group now (from the value counts of (attribute..., label)) and in the
    previous certified version (``previous["cells"]``: [[group values], rows, positives]), as the
    label balance check counts them. A group with a rate in one version only has no rate change: it is
    listed under ``appeared`` / ``disappeared`` and does not fail the limit on its own."""
    k = len(table["columns"]) - 1
    rows_now, pos_now = rate_cells(table, list(tokens), positive)
    rows_before, pos_before = _cells_of(previous)
    if any(private or []):
        sizes = {c: rows_now.get(c, 0) + rows_before.get(c, 0) for c in {*rows_now, *rows_before}}
        flags, numbering = list(private or []), list(names or [None] * k)
        rows_now, pos_now = (rename_cells(rows_now, sizes, flags, numbering),
                             rename_cells(pos_now, sizes, flags, numbering))
        rows_before, pos_before = (rename_cells(rows_before, sizes, flags, numbering),
                                   rename_cells(pos_before, sizes, flags, numbering))
    rows, positives = joined(rows_now), joined(pos_now)
    rows_b, positives_b = joined(rows_before), joined(pos_before)
    groups = sorted(set(rows) | set(rows_b))
    rates = {g: ratio(positives.get(g, 0), rows.get(g, 0)) for g in groups}
    out = Outcome({"previous_tag": None, "previous_md5": None, "rows": {g: rows.get(g, 0) for g in groups},
                   "positive_rates": rates})
    if previous is None:
        out.observed.update(previous_rows=None, previous_positive_rates=None, rate_changes=None,
                            largest_rate_change=None, largest_change_group=None, appeared=[], disappeared=[])
        out.notes.append(FIRST_VERSION)
        return out
    rates_b = {g: ratio(positives_b.get(g, 0), rows_b.get(g, 0)) for g in groups}
    changes = {g: (rates[g] - rates_b[g] if rates[g] is not None and rates_b[g] is not None else None)
               for g in groups}
    defined = {g: d for g, d in changes.items() if d is not None}
    largest = min(defined, key=lambda g: (-abs(defined[g]), g)) if defined else None
    appeared, disappeared = _signed(rows, rows_b)
    out.observed.update(previous_tag=previous.get("tag"), previous_md5=previous.get("md5"),
                        previous_rows={g: rows_b.get(g, 0) for g in groups}, previous_positive_rates=rates_b,
                        rate_changes=changes, largest_change_group=largest,
                        largest_rate_change=abs(defined[largest]) if largest is not None else None,
                        appeared=appeared, disappeared=disappeared)
    if appeared or disappeared:
        out.notes.append(f"{len(appeared)} group(s) appeared and {len(disappeared)} disappeared since the previous "
                         "version: their rate change is undefined (null) and fails no limit")
    if largest is None:
        out.notes.append("no group has a positive rate in both versions: largest_rate_change is null")
        check_max(out, "largest_rate_change", None, "max_rate_change", max_rate_change,
                  " (no group has a rate in both versions)")
    elif max_rate_change is not None:
        for g, d in defined.items():
            if abs(d) > max_rate_change:
                out.violate("abs_rate_change", abs(d), ">", "max_rate_change", max_rate_change, group=g)
    out.cap()
    return out


def previous_shares(previous: PreviousVersion | None, column: str, tokens: list[str]) -> dict[str, Any] | None:
    """The ``previous`` kwarg of a share drift: {tag, md5, counts: {group: rows}} (plain JSON)."""
    if previous is None:
        return None
    counts = labelled_counts(previous.value_counts([column]), unique_tokens(tokens))
    return {"tag": previous.tag, "md5": previous.md5, "counts": {k[0]: n for k, n in sorted(counts.items())}}


def previous_rates(previous: PreviousVersion | None, label: str, by: str | list[str], positive: str,
                   tokens: list[str]) -> dict[str, Any] | None:
    """The ``previous`` kwarg of a rate drift: {tag, md5, cells: [[group values], rows, positives]}."""
    if previous is None:
        return None
    rows, positives = rate_cells(previous.value_counts([*by_columns(by), label]), unique_tokens(tokens), positive)
    return {"tag": previous.tag, "md5": previous.md5,
            "cells": [[list(c), rows[c], positives[c]] for c in sorted(rows)]}


class Drift(CheckType):
    per_split = False  # it compares the whole with the previous version
    name = NAME
    expectation_type = "expect_column_to_match_previous_certified_version"
    expectation_module = "datavet.gx.expectations.expect_column_to_match_previous_certified_version"
    limit_keys = ("max_tvd", "max_rate_change")
    spec_key = NAME
    spec_annotation = list[DriftSpec]

    def configurations(self, checks: Any, ctx: SuiteContext) -> list[dict[str, Any]]:
        if not checks.drift:
            return []
        previous = ctx.previous()
        out = []
        for d in checks.drift:
            if d.by is None:
                out.append(expectation(self, d.severity, column=d.column, max_tvd=d.max_tvd,
                                       private=d.column in ctx.private,
                                       previous=previous_shares(previous, d.column, ctx.tokens)))
                continue
            positive = ctx.loaded.spec.positive_value(d.column, d.positive)
            out.append(expectation(self, d.severity, column=d.column, by=d.by, positive=positive,
                                   max_rate_change=d.max_rate_change,
                                   private_by=[c for c in by_columns(d.by) if c in ctx.private],
                                   previous=previous_rates(previous, d.column, d.by, positive, ctx.tokens)))
        return out

    def stored(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """The previous version's exact counts (small cells, a private column's raw groups) stay out of
        the committed suite file: it names the version they come from."""
        previous = kwargs.get("previous")
        if isinstance(previous, dict):
            kwargs["previous"] = f"{previous['tag']} (md5 {previous['md5']}): {FILLED_IN}"
        return kwargs

    def columns(self, checks: Any) -> set[str]:
        return {c for d in checks.drift for c in (d.column, *by_columns(d.by or []))}

    def problems(self, spec: Any) -> list[str]:
        return [f"drift of {d.column!r} by {d.by!r} needs a positive value: set columns.{d.column}.positive or the "
                "check's 'positive'" for d in spec.checks.drift
                if d.by is not None and d.positive is None
                and (spec.columns.get(d.column) is None or spec.columns[d.column].positive is None)]

    def label_positives(self, checks: Any) -> dict[str, str]:
        return {d.column: d.positive for d in checks.drift if d.by is not None and d.positive is not None}

    def declare(self, result: Any, t: Any) -> None:
        """Both versions' cells (the previous version's under its own name), and the changes, each built
        on a group's cells in both versions."""
        from datavet.checks.label_balance import declare_rates
        from datavet.checks.representation import declare_shares

        o, c = result.observed, result.column
        if not c:
            return
        if "counts" in o:
            now = declare_shares(o, t, c)
            t.version = "previous"
            before = declare_shares(o, t, c, "previous_")
            prev_present, prev = t.at(cell((c, PRESENT))), {g: t.at(cell((c, g))) for g in o.get("counts") or {}}
            t.version = None
            for g in o.get("share_changes") or {}:
                t.derived(("share_changes", g), cell((c, g)), cell((c, PRESENT)), prev.get(g, ()), prev_present)
            over(t, [("tvd",)], [*now, *before], o)
            return
        now = declare_rates(o, t, c, result.by, "rows", "positive_rates")
        t.version = "previous"
        before = declare_rates(o, t, c, result.by, "previous_rows", "previous_positive_rates")
        t.version = None
        for g in o.get("rate_changes") or {}:
            group = set(group_key(result.by, g))
            t.derived(("rate_changes", g), *[k for k in [*now, *before] if group <= set(k)])
        over(t, [("largest_rate_change",)], [*now, *before], o)

    def metrics(self, result: Any, out: dict[str, Any]) -> None:
        o = result.observed
        if o.get("previous_tag") is None:
            return
        if result.by is None:
            out.setdefault("drift_tvd", {})[result.column] = o.get("tvd")
            out.setdefault("drift_share_change", {})[result.column] = {
                g: d for g, d in (o.get("share_changes") or {}).items() if d is not None}
            return
        key = f"{result.column}_by_{by_key(result.by)}"
        out.setdefault("drift_rate_change", {})[key] = {g: d for g, d in (o.get("rate_changes") or {}).items()
                                                        if d is not None}
        out.setdefault("drift_largest_rate_change", {})[key] = o.get("largest_rate_change")

    def changes(self, new: list[CheckResult], old: list[CheckResult], threshold: int, out: Changes) -> None:
        out.drift = drift_changes(new)


class DriftFigures(BaseModel):
    """One drift check's published figures, as the datasheet's changes section shows them."""

    model_config = ConfigDict(extra="forbid")
    column: str
    by: str | list[str] | None = None
    success: bool
    previous_tag: str
    tvd: float | None = Field(default=None, description="Total variation distance of the share vectors.")
    shares: dict[str, float | None] = Field(default_factory=dict)
    previous_shares: dict[str, float | None] = Field(default_factory=dict)
    share_changes: dict[str, float | None] = Field(default_factory=dict, description="share - previous share.")
    positive_rates: dict[str, float | None] = Field(default_factory=dict)
    previous_positive_rates: dict[str, float | None] = Field(default_factory=dict)
    rate_changes: dict[str, float | None] = Field(default_factory=dict, description="rate - previous rate.")
    largest_rate_change: float | None = None
    largest_change_group: str | None = None
    appeared: list[str] = Field(default_factory=list, description="Groups with rows now and none before.")
    disappeared: list[str] = Field(default_factory=list, description="Groups with rows before and none now.")


def drift_changes(results: list[Any]) -> list[DriftFigures]:
    """The drift figures of a published report's results (first versions have none)."""
    out = []
    for r in results:
        if r.check == NAME and r.observed.get("previous_tag") is not None:
            figures = {k: v for k, v in r.observed.items() if k in DriftFigures.model_fields and v is not None}
            out.append(DriftFigures(column=r.column, by=r.by, success=r.success, **figures))
    return out
