"""ExpectLabelBalanceAcrossGroups: the ``label_balance`` check."""

from __future__ import annotations

from typing import Any, ClassVar

from great_expectations.compatibility import pydantic

from datavet.checks.cells import by_columns
from datavet.checks.label_balance import NAME as LABEL_BALANCE
from datavet.checks.label_balance import label_balance
from datavet.figures.outcome import Outcome
from datavet.gx.expectations.base import DatavetExpectation, value_counts_of


class ExpectLabelBalanceAcrossGroups(DatavetExpectation):
    """Expect the positive-label rate to be similar across the groups of an attribute.

    Args:
        label: the label column; ``positive``: its positive value (compared after stripping whitespace).
        by: the attribute, or a list of attributes (the groups are their combinations, "Male|White").
        min_disparate_impact: min rate / max rate at least this (0.8 is the four-fifths rule).
        max_parity_difference: max rate - min rate at most this.
        by_is_private: the attribute's values must not be published (groups get opaque names).
        private_by: with a list ``by``, the attributes whose values must not be published.
        confidence: report Wilson intervals of the rates (and of disparate impact, parity difference).
        decide_on: "point" (default) or "interval": fail a limit only when the whole interval violates it.

    Returns:
        ``observed_value``: positive_rates, rows (per group: rows with a label), disparate_impact,
        parity_difference; with a list ``by`` also best_cell and worst_cell ({cell, rate, rows}).

    Example: Adult's income >50K: 30.6 % of men, 10.9 % of women (disparate impact 0.36): passes with
    ``min_disparate_impact=0.3``, fails with ``min_disparate_impact=0.8``.
    """

    label: str
    by: str | list[str]
    positive: str
    min_disparate_impact: float | None = pydantic.Field(default=None, ge=0, le=1)
    max_parity_difference: float | None = pydantic.Field(default=None, ge=0, le=1)
    by_is_private: bool = False
    private_by: list[str] | None = None
    confidence: float | None = pydantic.Field(default=None, gt=0, lt=1)
    decide_on: str | None = None

    check: ClassVar[str] = LABEL_BALANCE
    success_keys: ClassVar[tuple] = ("label", "by", "positive", "min_disparate_impact", "max_parity_difference",
                                     "missing_tokens", "by_is_private", "private_by", "confidence", "decide_on")
    args_keys: ClassVar[tuple] = ("label", "by", "positive")

    def _table(self) -> tuple[str, dict[str, Any]]:
        return value_counts_of([*by_columns(self.by), self.label])

    def _private(self) -> list[str]:
        if isinstance(self.by, str):
            return [self.by] if self.by_is_private else []
        return [c for c in self.by if c in (self.private_by or [])]

    def _outcome(self, table: dict[str, Any], names: dict[str, dict[str, str]]) -> Outcome:
        if isinstance(self.by, str):
            return label_balance(table, self._tokens(), self.positive,
                                 min_disparate_impact=self.min_disparate_impact,
                                 max_parity_difference=self.max_parity_difference, private_by=self.by_is_private,
                                 by_names=names.get(self.by), confidence=self.confidence, decide_on=self.decide_on)
        return label_balance(table, self._tokens(), self.positive, min_disparate_impact=self.min_disparate_impact,
                             max_parity_difference=self.max_parity_difference,
                             private=[c in (self.private_by or []) for c in self.by],
                             names=[names.get(c) for c in self.by], confidence=self.confidence,
                             decide_on=self.decide_on)
