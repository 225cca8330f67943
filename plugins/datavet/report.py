"""The check report: what `datavet check --json` writes and what datasheets and certificates read.

Field names are a contract (see metrics.md): dashboards and other teams' scripts read them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def _known_check(name: str) -> str:
    """A registered check type, or "gx_expectation": a built-in GX expectation a person added by hand."""
    from datavet.checks.registry import CHECKS, HAND_ADDED

    if name not in CHECKS and name != HAND_ADDED:
        raise ValueError(f"unknown check {name!r} (registered: {', '.join([*CHECKS, HAND_ADDED])})")
    return name


CheckName = Annotated[str, AfterValidator(_known_check)]


class CheckResult(BaseModel):
    model_config = ConfigDict(extra="forbid")
    check: CheckName
    column: str | None = None
    columns: list[str] | None = None
    by: str | list[str] | None = Field(default=None, description="The attribute, or the attributes whose "
                                                                 "combinations are the groups.")
    severity: Literal["error", "warning"] = "error"
    success: bool
    observed: dict[str, Any] = Field(default_factory=dict, description="Figures under metrics.md names.")
    thresholds: dict[str, Any] = Field(default_factory=dict, description="The limits the check applied.")
    failures: list[str] = Field(default_factory=list, description="Each violated limit: observed vs allowed.")
    violations: list[dict[str, Any]] = Field(
        default_factory=list, description="The same as data: figure, group, observed, op, limit, limit_value "
                                          "(datavet.figures.outcome.Violation); failures are rendered from them.")
    notes: list[str] = Field(default_factory=list, description="Why a figure is null, and similar.")
    split: str | None = Field(default=None, description="The split these figures are of (a source.splits "
                                                         "version); null for the whole version.")
    breakdown: bool = Field(default=False, description="A default breakdown (label balance or missingness by a "
                                                       "protected attribute) that the spec does not list.")

    @property
    def subject(self) -> str:
        if self.columns:
            return " x ".join(self.columns)
        subject = self.column or ""
        by = self.by if isinstance(self.by, str) or self.by is None else " x ".join(self.by)
        subject = f"{subject} by {by}" if by else subject
        return f"{subject} in split {self.split}" if self.split else subject


class CheckReport(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dataset: str
    data_hash: str | None = Field(description="md5 of the exact bytes checked (the DVC version id).")
    rows: int
    success: bool = Field(description="True when every error-severity check passed.")
    checks: list[CheckResult]
    suite_name: str | None = None
    suite_hash: str | None = None
    validation_result_id: str | None = None
    engine: str | None = None
    small_cell_threshold: int | None = Field(
        default=None, description='Set in the published form: counts 1..threshold-1 are shown as "<threshold" '
                                  "and their shares, ratios and rates are null (datavet.privacy).")
    positives: dict[str, str] = Field(
        default_factory=dict, description="{label column: positive value}: which label value the positive rates "
                                          "count (the spec says it; datavet.privacy links label cells with it).")
    withheld_cells: list[dict[str, Any]] = Field(
        default_factory=list, description="Set in the published form: each withheld count (table, figure, cell) "
                                          "and why: primary (a small cell) or complementary (it would give one "
                                          "back).")

    def failed(self, severity: str | None = "error") -> list[CheckResult]:
        return [c for c in self.checks if not c.success and (severity is None or c.severity == severity)]

    def summary(self) -> str:
        """A text a person can act on: every failed check with what was observed and allowed.

        Printed or sent anywhere, it must be the summary of the published form
        (``report.published(threshold).summary()``): failure texts quote counts."""
        lines = []
        for c in self.failed(severity=None):
            head = f"[{c.severity}] {c.check} on {c.subject}"
            lines.append(head + (": " + "; ".join(c.failures) if c.failures else ""))
        if not lines:
            return f"all {len(self.checks)} checks passed"
        return "\n".join(lines)

    def published(self, small_cell_threshold: int) -> CheckReport:
        """This report as it may be published: small cells suppressed (datavet.privacy)."""
        from datavet.privacy import publish_report

        return publish_report(self, small_cell_threshold)

    def to_json(self) -> str:
        return json.dumps(plain_json(self.model_dump(mode="json")), indent=2, sort_keys=False,
                          allow_nan=False) + "\n"


def checks_tally(outcomes: Iterable[Any]) -> str:
    """"18/19 checks passed, 1 warning(s)": how every command counts. A check is one entry of the
    check report (one configured check on one subject), never an integrity comparison."""
    outcomes = list(outcomes)
    passed = sum(1 for o in outcomes if o.success)
    warned = sum(1 for o in outcomes if not o.success and o.severity == "warning")
    failed = len(outcomes) - passed - warned
    return (f"{passed}/{len(outcomes)} checks passed" + (f", {warned} warning(s)" if warned else "")
            + (f", {failed} failed" if failed else ""))


def plain_json(value: Any) -> Any:
    """Recursively turn numpy scalars into Python ones and NaN/inf into None (JSON has neither)."""
    if isinstance(value, dict):
        return {str(k): plain_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_json(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
