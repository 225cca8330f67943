"""The ``missingness`` check: per column, the missing count and rate (null, NaN or a missing token),
with counts per token (metrics.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field

from datavet.checks.base import CheckType, SuiteContext, expectation
from datavet.checks.limits import Severity, Share, SplitScoped
from datavet.checks.missingness_parity import ParitySpec
from datavet.figures.outcome import Outcome, check_max, ratio
from datavet.figures.tables import token_counts, total_rows
from datavet.privacy.declare import MISSING, PRESENT, cell, counts, split

if TYPE_CHECKING:  # pragma: no cover
    from datavet.changes import Changes
    from datavet.datasheet.computed import Sheet
    from datavet.datasheet.models import Computed
    from datavet.datasheet.views import Chart
    from datavet.report import CheckResult

NAME = "missingness"


class MissingnessSpec(SplitScoped):
    max_rate: Share | None = Field(default=None, description="Largest allowed missing rate for every column.")
    columns: dict[str, Share] = Field(default_factory=dict, description="Per-column overrides of max_rate.")
    parity: list[ParitySpec] = Field(default_factory=list)
    severity: Severity = "error"





def missingness(table: dict[str, Any], column: str, *, max_rate: float | None = None) -> Outcome:
    """rows, missing_count, missing_rate, token_counts of ``column`` from the ungrouped missing counts."""
    rows = total_rows(table)
    tokens = token_counts(table, column)
    missing = sum(tokens.values())
    out = Outcome({"rows": rows, "missing_count": missing, "missing_rate": ratio(missing, rows),
                   "token_counts": tokens})
    why = ""
    if rows == 0:
        why = " (the batch has no rows)"
        out.notes.append("missing_rate is null: the batch has no rows")
    check_max(out, "missing_rate", out.observed["missing_rate"], "max_rate", max_rate, why)
    return out


class Missingness(CheckType):
    """Every column is measured (figures for the datasheet); limits apply where the spec sets them."""

    name = NAME
    expectation_type = "expect_column_missingness_to_be_below"
    expectation_module = "datavet.gx.expectations.expect_column_missingness_to_be_below"
    limit_keys = ("max_rate",)
    spec_key = NAME
    spec_annotation = MissingnessSpec | None
    spec_is_list = False

    def configurations(self, checks: Any, ctx: SuiteContext) -> list[dict[str, Any]]:
        m = checks.missingness
        return [expectation(self, m.severity if m else "warning", splits=m.splits if m else None, column=col,
                            max_rate=m.columns.get(col, m.max_rate) if m else None) for col in ctx.columns]

    def columns(self, checks: Any) -> set[str]:
        return set(checks.missingness.columns) if checks.missingness else set()

    def declare(self, result: Any, t: Any) -> None:
        o, c = result.observed, result.column
        if not c:
            return
        missing, present = cell((c, MISSING)), cell((c, PRESENT))
        t.count(("rows",), (), o.get("rows"))
        t.count(("missing_count",), missing, o.get("missing_count"))
        split(t, (), missing, present, o.get("rows"), o.get("missing_count"))
        t.derived(("missing_rate",), missing, present)
        counts(t, "token_counts", o.get("token_counts"), lambda tok: cell((c, "\x00token:" + str(tok))), missing)

    def metrics(self, result: Any, out: dict[str, Any]) -> None:
        if result.column and result.observed.get("missing_rate") is not None:
            out.setdefault("missing_rate", {}).setdefault(result.column, result.observed["missing_rate"])

    def computed(self, results: list[CheckResult], sheet: Sheet, out: Computed) -> None:
        """C6: each column's missing cells, rate and tokens, and the missing cells over all columns."""
        from datavet.datasheet.computed import pairs
        from datavet.privacy.masking import publish_count, publish_share
        from datavet.privacy.rule import COMPLEMENTARY, is_count

        by_column = {r.column: r for r in results if r.column}
        total: int | str = 0
        for info in out.columns:
            r = by_column.get(info.name)
            if r is None:
                continue
            n = r.observed.get("missing_count", 0)
            # the total would give a withheld column's count back: withheld with it
            total = total + n if is_count(n) and is_count(total) else COMPLEMENTARY
            info.missing = publish_count(n, sheet.t)
            info.missing_rate = publish_share(n, r.observed.get("missing_rate"), sheet.t)
            info.missing_tokens = {tok: publish_count(k, sheet.t)
                                   for tok, k in pairs(r.observed.get("token_counts") or {})}
        if by_column:
            out.missing_cells = publish_count(total, sheet.t)

    def charts(self, computed: Computed, out: dict[str, list[Chart]]) -> None:
        from datavet.datasheet.views import bar_chart, pct

        # most-missing first, so a cut list keeps the columns that matter; equal rates keep column order
        cols = sorted((col for col in computed.columns if col.missing is not None),
                      key=lambda col: -(col.missing.value if col.missing.value is not None else 1))
        if cols:
            out["missingness"].append(bar_chart(
                "miss-cols", "Missing cells per column", "Missing rate per column (null or a missing token).",
                [(col.name, col.missing_rate, f"{pct(col.missing_rate, 2)} · {col.missing.display}"
                  if col.missing_rate is not None and col.missing else (col.missing.display if col.missing else ""),
                  None) for col in cols], css="bar miss", more="columns"))

    def changes(self, new: list[CheckResult], old: list[CheckResult], threshold: int, out: Changes) -> None:
        """Each column's change of missing rate; a rate withheld on either side (a small missing count)
        has no published change."""
        rates_new, rates_old = missing_rates(new), missing_rates(old)
        columns = sorted(c for c in set(rates_new) | set(rates_old)
                         if not (_withheld_rate(new, c) or _withheld_rate(old, c)))
        out.missing_rate_shift = {c: rates_new.get(c, 0.0) - rates_old.get(c, 0.0) for c in columns}


def missing_rates(results: list[Any]) -> dict[str, float]:
    """{column: missing rate} of the published missingness results (withheld rates left out)."""
    return {r.column: r.observed["missing_rate"] for r in results
            if r.check == NAME and r.column and r.observed.get("missing_rate") is not None}


def _withheld_rate(results: list[Any], column: str) -> bool:
    return any(r.check == NAME and r.column == column and r.observed.get("missing_rate") is None
               and r.observed.get("rows") for r in results)
