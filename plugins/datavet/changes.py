"""What changed between two certified versions: rows added/removed, each protected attribute's
share shift, missingness shift per column, geographic shift, the drift checks' figures and the human
answers that changed.

Figures come from the two versions' check reports (already computed) plus the engine's count of rows
present in one version and not the other (multiset difference, so duplicates count).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from datavet.checks.drift import DriftFigures, drift_changes
from datavet.checks.geography import NAME as GEOGRAPHY
from datavet.checks.missingness import NAME as MISSINGNESS
from datavet.checks.missingness import missing_rates as _missing_rates
from datavet.checks.representation import NAME as REPRESENTATION
from datavet.privacy.rule import is_small
from datavet.report import CheckReport


class Changes(BaseModel):
    model_config = ConfigDict(extra="forbid")
    previous_tag: str
    previous_md5: str
    rows_before: int
    rows_after: int
    rows_added: int = Field(description="Rows of the new version not in the previous one (with multiplicity).")
    rows_removed: int = Field(description="Rows of the previous version not in the new one.")
    share_shift: dict[str, dict[str, float]] = Field(
        default_factory=dict, description="Per protected attribute: share(new) - share(previous) per group.")
    missing_rate_shift: dict[str, float] = Field(
        default_factory=dict, description="Per column: missing_rate(new) - missing_rate(previous).")
    geography_shift: dict[str, dict[str, float]] = Field(
        default_factory=dict, description="Per geography column: share shift per country (ISO3).")
    answers_changed: list[str] = Field(default_factory=list, description="Datasheet prompt ids answered differently.")
    drift: list[DriftFigures] = Field(default_factory=list, description="The drift checks' figures (small cells "
                                                                        "withheld).")


def _shares_by(report: CheckReport, check: str) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for result in report.checks:
        if result.check == check and result.column and isinstance(result.observed.get("shares"), dict):
            out.setdefault(result.column, {k: v for k, v in result.observed["shares"].items() if v is not None})
    return out


def _small_groups(report: CheckReport, check: str, threshold: int) -> dict[str, set[str]]:
    """Groups with 1..threshold-1 rows: their shares (and so their shifts) are not published."""
    out: dict[str, set[str]] = {}
    for result in report.checks:
        counts = result.observed.get("counts")
        if result.check == check and result.column and isinstance(counts, dict):
            out.setdefault(result.column, set()).update(g for g, n in counts.items() if is_small(n, threshold))
    return out


def _shifts(check: str, new: CheckReport, old: CheckReport, threshold: int) -> dict[str, dict[str, float]]:
    shares_new, shares_old = _shares_by(new, check), _shares_by(old, check)
    small_new, small_old = _small_groups(new, check, threshold), _small_groups(old, check, threshold)
    out = {}
    for column in sorted(set(shares_new) | set(shares_old)):
        a, b = shares_new.get(column, {}), shares_old.get(column, {})
        hidden = small_new.get(column, set()) | small_old.get(column, set())
        out[column] = {g: a.get(g, 0.0) - b.get(g, 0.0) for g in sorted((set(a) | set(b)) - hidden)}
    return out


def missing_rates(report: CheckReport) -> dict[str, float]:
    return _missing_rates(report.checks)


def _withheld_rate(report: CheckReport, column: str) -> bool:
    return any(r.check == MISSINGNESS and r.column == column and r.observed.get("missing_rate") is None
               and r.observed.get("rows") for r in report.checks)


def compute_changes(*, new_report: CheckReport, old_report: CheckReport, previous_tag: str,
                    rows_added_removed: tuple[int, int], new_answers: dict[str, Any], old_answers: dict[str, Any],
                    small_cell_threshold: int) -> Changes:
    """``rows_added_removed``: the engine's row difference of the two versions (Engine.row_difference)."""
    # both reports in their published form: a shift must not give back a withheld share or rate
    new_report = new_report.published(small_cell_threshold)
    old_report = old_report.published(small_cell_threshold)
    added, removed = rows_added_removed
    geography = _shifts(GEOGRAPHY, new_report, old_report, small_cell_threshold)
    miss_new, miss_old = missing_rates(new_report), missing_rates(old_report)
    # a rate withheld on either side (a small missing count) has no published shift
    missing = sorted(c for c in set(miss_new) | set(miss_old)
                     if not (_withheld_rate(new_report, c) or _withheld_rate(old_report, c)))
    prompts = sorted(set(new_answers) | set(old_answers))
    return Changes(
        previous_tag=previous_tag, previous_md5=old_report.data_hash or "", rows_before=old_report.rows,
        rows_after=new_report.rows, rows_added=added, rows_removed=removed,
        share_shift=_shifts(REPRESENTATION, new_report, old_report, small_cell_threshold),
        missing_rate_shift={c: miss_new.get(c, 0.0) - miss_old.get(c, 0.0) for c in missing},
        geography_shift={c: {k: v for k, v in shifts.items() if v} for c, shifts in geography.items()},
        answers_changed=[k for k in prompts if new_answers.get(k) != old_answers.get(k)],
        drift=drift_changes(new_report),
    )


def metrics_of(report: CheckReport, small_cell_threshold: int) -> dict[str, Any]:
    """The flat figures written as the registry's DVC metrics file, so `dvc metrics diff` between two
    certified revisions shows them. They come from the report's published form (datavet.privacy), as
    in every published document: shares of groups with fewer rows than the small-cell threshold, the
    positive rates of such groups (or of groups of unknown size) and missing rates of a small number
    of missing cells are left out."""
    from datavet.checks.registry import CHECKS

    report = report.published(small_cell_threshold)
    metrics: dict[str, Any] = {"rows": report.rows, "checks_passed": sum(c.success for c in report.checks),
                               "checks_failed": sum(not c.success for c in report.checks)}
    for result in report.checks:
        if result.check in CHECKS:
            CHECKS[result.check].metrics(result, metrics)
    return metrics


def answers_of(sheet_json: dict[str, Any]) -> dict[str, Any]:
    """{prompt id: (answer, not-applicable reason)} from a datasheet's JSON, to spot changed answers."""
    return {p["id"]: (p.get("answer"), p.get("not_applicable_reason"))
            for section in sheet_json.get("sections", []) for p in section.get("prompts", [])}
