"""ExpectLabelBalanceAcrossGroups: the ``label_balance`` check."""

from __future__ import annotations

from typing import Any, ClassVar

from great_expectations.compatibility import pydantic

from datavet.checks.label_balance import NAME as LABEL_BALANCE
from datavet.checks.label_balance import label_balance
from datavet.figures.outcome import Outcome
from datavet.gx.expectations.base import DatavetExpectation, value_counts_of


class ExpectLabelBalanceAcrossGroups(DatavetExpectation):
    """Expect the positive-label rate to be similar across the groups of an attribute.

    Args:
        label: the label column; ``positive``: its positive value (compared after stripping whitespace).
        by: the attribute.
        min_disparate_impact: min rate / max rate at least this (0.8 is the four-fifths rule).
        max_parity_difference: max rate - min rate at most this.
        by_is_private: the attribute's values must not be published (groups get opaque names).

    Returns:
        ``observed_value``: positive_rates, rows (per group: rows with a label), disparate_impact,
        parity_difference.

    Example: Adult's income >50K: 30.6 % of men, 10.9 % of women (disparate impact 0.36): passes with
    ``min_disparate_impact=0.3``, fails with ``min_disparate_impact=0.8``.
    """

    label: str
    by: str
    positive: str
    min_disparate_impact: float | None = pydantic.Field(default=None, ge=0, le=1)
    max_parity_difference: float | None = pydantic.Field(default=None, ge=0, le=1)
    by_is_private: bool = False

    check: ClassVar[str] = LABEL_BALANCE
    success_keys: ClassVar[tuple] = ("label", "by", "positive", "min_disparate_impact", "max_parity_difference",
                                     "missing_tokens", "by_is_private")
    args_keys: ClassVar[tuple] = ("label", "by", "positive")

    def _table(self) -> tuple[str, dict[str, Any]]:
        return value_counts_of([self.by, self.label])

    def _private(self) -> list[str]:
        return [self.by] if self.by_is_private else []

    def _outcome(self, table: dict[str, Any], names: dict[str, dict[str, str]]) -> Outcome:
        return label_balance(table, self._tokens(), self.positive,
                             min_disparate_impact=self.min_disparate_impact,
                             max_parity_difference=self.max_parity_difference, private_by=self.by_is_private,
                             by_names=names.get(self.by))
