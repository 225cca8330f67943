"""What changed between two certified versions: rows added/removed, each protected attribute's
share shift, missingness shift per column, geographic shift and the human answers that changed.

Figures come from the two versions' check reports (already computed) plus one DuckDB pass that
counts rows present in one version and not the other (multiset difference, so duplicates count).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

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


def row_differences(new: Path, old: Path) -> tuple[int, int]:
    """(added, removed) rows between two Parquet files, in one DuckDB pass each way."""
    import duckdb

    with duckdb.connect() as con:
        def count(a: Path, b: Path) -> int:
            return con.execute("SELECT count(*) FROM (SELECT * FROM read_parquet(?) EXCEPT ALL "
                               "SELECT * FROM read_parquet(?))", [str(a), str(b)]).fetchone()[0]

        return int(count(new, old)), int(count(old, new))


def _shares_by(report: CheckReport, check: str) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for result in report.checks:
        if result.check == check and result.column and isinstance(result.observed.get("shares"), dict):
            out.setdefault(result.column, {k: v for k, v in result.observed["shares"].items() if v is not None})
    return out


def _shift(new: dict[str, float], old: dict[str, float]) -> dict[str, float]:
    return {g: new.get(g, 0.0) - old.get(g, 0.0) for g in sorted(set(new) | set(old))}


def missing_rates(report: CheckReport) -> dict[str, float]:
    return {r.column: r.observed["missing_rate"] for r in report.checks
            if r.check == "missingness" and r.column and r.observed.get("missing_rate") is not None}


def compute_changes(*, new_report: CheckReport, old_report: CheckReport, previous_tag: str, new_data: Path,
                    old_data: Path, new_answers: dict[str, Any], old_answers: dict[str, Any]) -> Changes:
    added, removed = row_differences(new_data, old_data)
    rep_new, rep_old = _shares_by(new_report, "representation"), _shares_by(old_report, "representation")
    geo_new, geo_old = _shares_by(new_report, "geography"), _shares_by(old_report, "geography")
    miss_new, miss_old = missing_rates(new_report), missing_rates(old_report)
    missing = sorted(set(miss_new) | set(miss_old))
    prompts = sorted(set(new_answers) | set(old_answers))
    return Changes(
        previous_tag=previous_tag, previous_md5=old_report.data_hash or "", rows_before=old_report.rows,
        rows_after=new_report.rows, rows_added=added, rows_removed=removed,
        share_shift={a: _shift(rep_new.get(a, {}), rep_old.get(a, {})) for a in sorted(set(rep_new) | set(rep_old))},
        missing_rate_shift={c: miss_new.get(c, 0.0) - miss_old.get(c, 0.0) for c in missing},
        geography_shift={c: {k: v for k, v in _shift(geo_new.get(c, {}), geo_old.get(c, {})).items() if abs(v) > 0}
                         for c in sorted(set(geo_new) | set(geo_old))},
        answers_changed=[k for k in prompts if new_answers.get(k) != old_answers.get(k)],
    )


def metrics_of(report: CheckReport, small_cell_threshold: int) -> dict[str, Any]:
    """The flat figures written as the registry's DVC metrics file, so `dvc metrics diff` between two
    certified revisions shows them. Shares of groups with fewer rows than the small-cell threshold
    are withheld, as in every published document."""
    metrics: dict[str, Any] = {"rows": report.rows, "checks_passed": sum(c.success for c in report.checks),
                               "checks_failed": sum(not c.success for c in report.checks),
                               "missing_rate": missing_rates(report)}
    for check in ("representation", "geography"):
        for result in report.checks:
            counts = result.observed.get("counts") or {}
            shares = result.observed.get("shares") or {}
            if result.check != check or not result.column:
                continue
            kept = {g: s for g, s in shares.items() if s is not None and counts.get(g, 0) >= small_cell_threshold}
            metrics.setdefault(f"{check}_shares", {}).setdefault(result.column, kept)
    for result in report.checks:
        if result.check == "label_balance":
            key = f"{result.column}_by_{result.by}"
            metrics.setdefault("positive_rate", {})[key] = result.observed.get("positive_rates")
            metrics.setdefault("disparate_impact", {})[key] = result.observed.get("disparate_impact")
    return metrics
