"""What changed between two certified versions: rows added/removed, each protected attribute's
share shift, missingness shift per column, geographic shift, the drift checks' figures and the human
answers that changed.

Figures come from the two versions' check reports (already computed) plus the engine's count of rows
present in one version and not the other (multiset difference, so duplicates count).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from datavet.checks.drift import DriftFigures
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


def compute_changes(*, new_report: CheckReport, old_report: CheckReport, previous_tag: str,
                    rows_added_removed: tuple[int, int], new_answers: dict[str, Any], old_answers: dict[str, Any],
                    small_cell_threshold: int) -> Changes:
    """``rows_added_removed``: the engine's row difference of the two versions (Engine.row_difference).
    Each check type adds its part (``CheckType.changes``, in ``sections()`` order) from both reports in
    their published form: a shift must not give back a withheld share or rate."""
    from datavet.checks.registry import sections

    new_report = new_report.published(small_cell_threshold)
    old_report = old_report.published(small_cell_threshold)
    added, removed = rows_added_removed
    prompts = sorted(set(new_answers) | set(old_answers))
    changes = Changes(
        previous_tag=previous_tag, previous_md5=old_report.data_hash or "", rows_before=old_report.rows,
        rows_after=new_report.rows, rows_added=added, rows_removed=removed,
        answers_changed=[k for k in prompts if new_answers.get(k) != old_answers.get(k)])
    for check in sections():
        check.changes([r for r in new_report.checks if r.check == check.name and r.split is None],
                      [r for r in old_report.checks if r.check == check.name and r.split is None],
                      small_cell_threshold, changes)
    return changes


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
        if result.check in CHECKS and result.split is None:  # the whole's figures (a split's are in the report)
            CHECKS[result.check].metrics(result, metrics)
    return metrics


def answers_of(sheet_json: dict[str, Any]) -> dict[str, Any]:
    """{prompt id: (answer, not-applicable reason)} from a datasheet's JSON, to spot changed answers."""
    return {p["id"]: (p.get("answer"), p.get("not_applicable_reason"))
            for section in sheet_json.get("sections", []) for p in section.get("prompts", [])}
