"""ExpectSplitsToNotLeak: the ``leakage`` check."""

from __future__ import annotations

from typing import Any, ClassVar

from great_expectations.compatibility import pydantic

from datavet.checks.leakage import MD5, PHASH, leakage
from datavet.checks.leakage import NAME as LEAKAGE
from datavet.figures.outcome import Outcome
from datavet.gx.expectations.base import DatavetExpectation, value_counts_of


class ExpectSplitsToNotLeak(DatavetExpectation):
    """Expect no row, file or near-duplicate image to be in two splits (or twice in the dataset).

    Args:
        split_column: the column naming each row's split (none: copies within the dataset count).
        files: the data is a tree of files (compare file_md5 and image_phash).
        labels: label columns whose conflicts among copies are counted.
        row_columns: the columns a row is compared by (none: rows are not compared).
        near_duplicate_distance: largest pHash Hamming distance of near-duplicates (bits).
        max_shared_rows, max_shared_files, max_near_duplicate_files: the limits.

    Returns:
        ``observed_value``: splits, shared_rows, shared_files, near_duplicate_files, label_conflicts,
        label_conflict_files, near_duplicate_distance; with a split column ``within`` (per split:
        duplicate_rows, duplicate_files, near_duplicate_files).

    Example: FairFace with a test split holding a 90 % resized JPEG copy of a train face: passes with
    ``max_near_duplicate_files=2``, fails with 0 (the copy and its original are both counted).
    """

    split_column: str | None = None
    files: bool = False
    labels: list[str] = []
    row_columns: list[str] = []
    near_duplicate_distance: int = pydantic.Field(default=4, ge=0, le=16)
    max_shared_rows: int | None = pydantic.Field(default=None, ge=0)
    max_shared_files: int | None = pydantic.Field(default=None, ge=0)
    max_near_duplicate_files: int | None = pydantic.Field(default=None, ge=0)

    check: ClassVar[str] = LEAKAGE
    success_keys: ClassVar[tuple] = ("split_column", "files", "labels", "row_columns", "near_duplicate_distance",
                                     "max_shared_rows", "max_shared_files", "max_near_duplicate_files",
                                     "missing_tokens")
    args_keys: ClassVar[tuple] = ()

    def _columns(self) -> list[str]:
        cols = [*([self.split_column] if self.split_column else []), *([MD5, PHASH] if self.files else []),
                *self.labels, *self.row_columns]
        return list(dict.fromkeys(cols))

    def _table(self) -> tuple[str, dict[str, Any]]:
        return value_counts_of(self._columns())

    def _outcome(self, table: dict[str, Any], names: dict[str, dict[str, str]]) -> Outcome:
        return leakage(table, self._tokens(), split_column=self.split_column, files=self.files, labels=self.labels,
                       row_columns=self.row_columns, distance=self.near_duplicate_distance,
                       max_shared_rows=self.max_shared_rows, max_shared_files=self.max_shared_files,
                       max_near_duplicate_files=self.max_near_duplicate_files)
