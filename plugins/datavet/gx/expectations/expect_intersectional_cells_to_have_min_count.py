"""ExpectIntersectionalCellsToHaveMinCount: the ``intersectional`` check."""

from __future__ import annotations

from typing import Any, ClassVar

from great_expectations.compatibility import pydantic

from datavet.checks.intersectional import NAME as INTERSECTIONAL
from datavet.checks.intersectional import intersectional
from datavet.figures.outcome import Outcome
from datavet.gx.expectations.base import DatavetExpectation, value_counts_of


class ExpectIntersectionalCellsToHaveMinCount(DatavetExpectation):
    """Expect every combination of the observed values of two or more attributes to have enough rows.

    Args:
        columns: the attributes (two or more).
        min_count: rows every cell needs, empty combinations included.
        private_columns: those of ``columns`` whose values must not be published.

    Returns:
        ``observed_value``: cell_counts ({"v1|v2": rows}), empty_cells, smallest_cells.

    Example: Adult's sex x race: every cell has at least 100 rows except Female|Other (109 passes
    ``min_count=50``) ... with ``min_count=200`` it fails, listing each cell below 200.
    """

    columns: list[str] = pydantic.Field(min_items=2)
    min_count: int = pydantic.Field(default=0, ge=0)
    private_columns: list[str] = []

    check: ClassVar[str] = INTERSECTIONAL
    success_keys: ClassVar[tuple] = ("columns", "min_count", "missing_tokens", "private_columns")
    args_keys: ClassVar[tuple] = ("columns", "min_count")

    def _table(self) -> tuple[str, dict[str, Any]]:
        return value_counts_of(list(self.columns))

    def _private(self) -> list[str]:
        return [c for c in dict.fromkeys(self.columns) if c in set(self.private_columns)]

    def _outcome(self, table: dict[str, Any], names: dict[str, dict[str, str]]) -> Outcome:
        private = [c in set(self.private_columns) for c in self.columns]
        return intersectional(table, self._tokens(), min_count=self.min_count, private=private,
                              names=[names.get(c) for c in self.columns])
