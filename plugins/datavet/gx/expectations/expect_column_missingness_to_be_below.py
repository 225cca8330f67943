"""ExpectColumnMissingnessToBeBelow: the ``missingness`` check."""

from __future__ import annotations

from typing import Any, ClassVar

from great_expectations.compatibility import pydantic

from datavet.checks.missingness import NAME as MISSINGNESS
from datavet.checks.missingness import missingness
from datavet.figures.outcome import Outcome
from datavet.gx.expectations.base import DatavetExpectation, missing_counts_by


class ExpectColumnMissingnessToBeBelow(DatavetExpectation):
    """Expect the share of missing cells of a column (null/NaN or a missing token) to be at most a limit.

    Args:
        column: the column.
        max_rate: largest allowed ``missing_rate`` (None: report the figures only).
        missing_tokens: texts that mean missing (compared after stripping whitespace).

    Returns:
        ``observed_value``: rows, missing_count, missing_rate, token_counts (metrics.md).

    Example: Adult's occupation has 1,843 ``?`` in 32,561 rows (rate 0.0566): passes with
    ``max_rate=0.06``, fails with ``max_rate=0.05`` ("missing_rate = 0.0566 > max_rate 0.05").
    """

    column: str
    max_rate: float | None = pydantic.Field(default=None, ge=0, le=1)

    check: ClassVar[str] = MISSINGNESS
    success_keys: ClassVar[tuple] = ("column", "max_rate", "missing_tokens")
    args_keys: ClassVar[tuple] = ("column", "max_rate")

    def _table(self) -> tuple[str, dict[str, Any]]:
        # every missingness check shares the ungrouped table: one scan for all columns
        return missing_counts_by([], self._tokens())

    def _outcome(self, table: dict[str, Any], names: dict[str, dict[str, str]]) -> Outcome:
        return missingness(table, self.column, max_rate=self.max_rate)
