"""What every engine provides: a GX batch over a table, and the few facts datavet asks outside GX.

An engine computes; it never decides. The checks' figures come from two shared count tables (counts
by a set of columns; missing counts per column by a set of columns) that each engine computes through
its GX execution engine's metric providers (``datavet.gx.metrics``). Outside GX the datasheet needs a
profile and the changes section a row difference: each engine answers those too, so no module but an
engine talks to DuckDB, pandas, Spark or a database directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from datavet.settings import Settings


@dataclass(frozen=True)
class ParquetTable:
    """A Parquet file, or a directory of Parquet files read as one dataset (Hive partitions as columns)."""

    path: Path


@dataclass(frozen=True)
class SqlTable:
    """A table or query inside a database, audited in place (only count tables leave the database).

    ``url`` holds a password: never print it; ``label`` is what messages show."""

    url: str = field(repr=False)
    label: str
    table: str | None = None
    query: str | None = None


@dataclass(frozen=True)
class FrameTable:
    """A DataFrame already in memory (tests, notebooks)."""

    frame: pd.DataFrame = field(repr=False)


Table = ParquetTable | SqlTable | FrameTable


@dataclass(frozen=True)
class DataProfile:
    """The datasheet's facts from the bytes themselves."""

    rows: int
    duplicate_rows: int  # rows that repeat an earlier row exactly (rows - distinct rows)
    column_types: dict[str, str]
    time_ranges: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    label_counts: dict[str, dict[str, int]] = field(default_factory=dict)  # {label column: {value: rows}}
    # the same count over every column but the identifying ones (an id makes every row distinct);
    # None when the table has no identifying column
    duplicate_rows_without_identifying: int | None = None


class Engine:
    """Base class of ``datavet.engines.<name>``; subclasses are listed in ``datavet.engines.ENGINES``."""

    name: ClassVar[str] = ""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def columns(self, table: Table) -> list[str]:
        """Column names of ``table`` without reading its rows."""
        raise NotImplementedError

    def gx_batch(self, table: Table) -> tuple[Any, dict[str, Any]]:
        """(GX batch definition, batch parameters) validating ``table`` on this engine's GX execution engine."""
        raise NotImplementedError

    def value_counts(self, table: Table, columns: list[str]) -> list[tuple[tuple, int]]:
        """Rows per distinct combination of raw values of ``columns`` (nulls kept as a group)."""
        raise NotImplementedError

    def profile(self, table: Table, *, time_columns: list[str], label_columns: list[str],
                missing_tokens: list[str], identifying_columns: Sequence[str] = ()) -> DataProfile:
        """Row count, column types, duplicate rows (also without ``identifying_columns``), time ranges
        and label counts, in as few passes as possible."""
        raise NotImplementedError

    def row_difference(self, new: Table, old: Table) -> tuple[int, int]:
        """(rows of ``new`` not in ``old``, rows of ``old`` not in ``new``), as multisets. Tables whose
        columns (names, order, types) differ share no row: every row counts as added or removed."""
        raise NotImplementedError

    def close(self) -> None:
        """Release what the engine holds (a Spark session, a connection pool)."""
