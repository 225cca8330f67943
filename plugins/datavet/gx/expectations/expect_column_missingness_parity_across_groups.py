"""ExpectColumnMissingnessParityAcrossGroups: the ``missingness_parity`` check."""

from __future__ import annotations

from typing import Any, ClassVar

from great_expectations.compatibility import pydantic

from datavet.checks.cells import by_columns
from datavet.checks.missingness_parity import NAME as MISSINGNESS_PARITY
from datavet.checks.missingness_parity import missingness_parity
from datavet.figures.outcome import Outcome
from datavet.gx.expectations.base import DatavetExpectation, missing_counts_by


class ExpectColumnMissingnessParityAcrossGroups(DatavetExpectation):
    """Expect a column to be missing about as often in every group of an attribute.

    Args:
        column: the column whose missingness is compared.
        by: the attribute whose groups are compared (rows where it is missing: group ``<missing>``), or
            a list of attributes (the groups are their combinations, "Male|White").
        max_diff: largest allowed max_rate - min_rate.
        max_ratio: largest allowed max_rate / min_rate.
        by_is_private: the attribute's values must not be published (groups get opaque names).
        private_by: with a list ``by``, the attributes whose values must not be published.

    Returns:
        ``observed_value``: group_missing_rate, group_rows, max_rate, min_rate, max_diff, max_ratio; with a list
        ``by`` also best_cell and worst_cell ({cell, rate, rows}: the lowest and highest missing rate).

    Example: Adult's occupation is missing for 6.8 % of women and 4.9 % of men: passes with
    ``max_diff=0.05``, fails with ``max_diff=0.01``.
    """

    column: str
    by: str | list[str]
    max_diff: float | None = pydantic.Field(default=None, ge=0, le=1)
    max_ratio: float | None = pydantic.Field(default=None, ge=1)
    by_is_private: bool = False
    private_by: list[str] | None = None

    check: ClassVar[str] = MISSINGNESS_PARITY
    success_keys: ClassVar[tuple] = ("column", "by", "max_diff", "max_ratio", "missing_tokens", "by_is_private",
                                     "private_by")
    args_keys: ClassVar[tuple] = ("column", "by")

    def _table(self) -> tuple[str, dict[str, Any]]:
        return missing_counts_by(by_columns(self.by), self._tokens())

    def _private(self) -> list[str]:
        if isinstance(self.by, str):
            return [self.by] if self.by_is_private else []
        return [c for c in self.by if c in (self.private_by or [])]

    def _outcome(self, table: dict[str, Any], names: dict[str, dict[str, str]]) -> Outcome:
        if isinstance(self.by, str):
            return missingness_parity(table, self.column, max_diff=self.max_diff, max_ratio=self.max_ratio,
                                      private_by=self.by_is_private, by_names=names.get(self.by))
        return missingness_parity(table, self.column, max_diff=self.max_diff, max_ratio=self.max_ratio,
                                  private=[c in (self.private_by or []) for c in self.by],
                                  names=[names.get(c) for c in self.by])
