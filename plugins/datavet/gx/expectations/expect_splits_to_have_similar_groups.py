"""ExpectSplitsToHaveSimilarGroups: the ``split_shift`` check."""

from __future__ import annotations

from typing import Any, ClassVar

from great_expectations.compatibility import pydantic

from datavet.checks.split_shift import NAME as SPLIT_SHIFT
from datavet.checks.split_shift import split_shift
from datavet.figures.outcome import Outcome
from datavet.gx.expectations.base import DatavetExpectation, value_counts_of


class ExpectSplitsToHaveSimilarGroups(DatavetExpectation):
    """Expect each split's shares of a protected attribute (and label rates) to match the reference split's.

    Args:
        split_column: the column naming each row's split; column: the protected attribute.
        label, positive: a label column and its positive value (rates per group per split).
        reference_split: the split compared with (default 'train', else the largest).
        confidence: of the Wilson intervals (default 0.95).
        max_tvd, max_share_difference, max_rate_difference: the limits.

    Returns:
        ``observed_value``: splits, reference_split, rows, counts, shares, share_intervals, tvd and
        share_differences per split; with a label labelled_rows, positive_rates, rate_intervals and
        rate_differences.

    Example: Titanic split 600/291 rows: the male share differs by about 0.02; passes with
    ``max_tvd=0.1``, fails with ``max_tvd=0.001``.
    """

    split_column: str
    column: str
    label: str | None = None
    positive: str | None = None
    reference_split: str | None = None
    confidence: float = pydantic.Field(default=0.95, gt=0, lt=1)
    max_tvd: float | None = pydantic.Field(default=None, ge=0, le=1)
    max_share_difference: float | None = pydantic.Field(default=None, ge=0, le=1)
    max_rate_difference: float | None = pydantic.Field(default=None, ge=0, le=1)

    check: ClassVar[str] = SPLIT_SHIFT
    success_keys: ClassVar[tuple] = ("split_column", "column", "label", "positive", "reference_split", "confidence",
                                     "max_tvd", "max_share_difference", "max_rate_difference", "missing_tokens")
    args_keys: ClassVar[tuple] = ("split_column", "column")

    def _table(self) -> tuple[str, dict[str, Any]]:
        return value_counts_of([self.split_column, self.column, *([self.label] if self.label else [])])

    def _outcome(self, table: dict[str, Any], names: dict[str, dict[str, str]]) -> Outcome:
        return split_shift(table, self._tokens(), reference_split=self.reference_split, positive=self.positive,
                           confidence=self.confidence, max_tvd=self.max_tvd,
                           max_share_difference=self.max_share_difference,
                           max_rate_difference=self.max_rate_difference)
