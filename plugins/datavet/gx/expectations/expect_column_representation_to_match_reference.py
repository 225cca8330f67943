"""ExpectColumnRepresentationToMatchReference: the ``representation`` check."""

from __future__ import annotations

from typing import Any, ClassVar

from great_expectations.compatibility import pydantic

from datavet.checks.representation import NAME as REPRESENTATION
from datavet.checks.representation import representation
from datavet.figures.outcome import Outcome
from datavet.gx.expectations.base import DatavetExpectation, value_counts_of
from datavet.references import reference_shares


class ExpectColumnRepresentationToMatchReference(DatavetExpectation):
    """Expect every group of an attribute to be represented: enough rows, enough share, and close to
    a reference distribution.

    Args:
        column: the attribute.
        reference: {group: share} (normalised) or the name of a shipped reference; optional.
        min_count, min_share: per group, observed and reference groups alike.
        min_ratio: each reference group's share / reference share at least this (e.g. 0.8).
        max_tvd: largest allowed total variation distance to the reference.
        private: the attribute's values must not be published (groups get opaque names).
        confidence: report Wilson intervals of the shares (share_intervals) and of the ratios.
        decide_on: "point" (default) or "interval": min_share and min_ratio fail only when the whole
            interval is below the limit.

    Returns:
        ``observed_value``: non_missing, counts, shares, min_share_observed, min_count_observed and,
        with a reference, reference_shares, ratios, tvd, absent_groups, unexpected_groups, chi2_pvalue.

    Example: Adult's sex (Male 66.9 %) against {Male: 0.4925, Female: 0.5075}: passes with
    ``min_count=100``, fails with ``min_ratio=0.8`` ("ratios[Female] = 0.652 < min_ratio 0.8").
    """

    column: str
    reference: dict[str, float] | str | None = None
    min_count: int | None = pydantic.Field(default=None, ge=0)
    min_share: float | None = pydantic.Field(default=None, ge=0, le=1)
    min_ratio: float | None = pydantic.Field(default=None, ge=0)
    max_tvd: float | None = pydantic.Field(default=None, ge=0, le=1)
    private: bool = False
    confidence: float | None = pydantic.Field(default=None, gt=0, lt=1)
    decide_on: str | None = None

    check: ClassVar[str] = REPRESENTATION
    success_keys: ClassVar[tuple] = ("column", "reference", "min_count", "min_share", "min_ratio", "max_tvd",
                                     "missing_tokens", "private", "confidence", "decide_on")
    args_keys: ClassVar[tuple] = ("column", "reference")

    def _table(self) -> tuple[str, dict[str, Any]]:
        return value_counts_of([self.column])

    def _private(self) -> list[str]:
        return [self.column] if self.private else []

    def _outcome(self, table: dict[str, Any], names: dict[str, dict[str, str]]) -> Outcome:
        return representation(table, self._tokens(), reference=reference_shares(self.reference),
                              min_count=self.min_count, min_share=self.min_share, min_ratio=self.min_ratio,
                              max_tvd=self.max_tvd, private=self.private, names=names.get(self.column),
                              confidence=self.confidence, decide_on=self.decide_on)
