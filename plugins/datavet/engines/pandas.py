"""pandas: the whole table in memory. For small data, notebooks and DataFrames handed to
``run_checks``; the GX pandas execution engine computes the shared metrics with group-bys."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from datavet.engines.base import DataProfile, Engine, FrameTable, ParquetTable, Table
from datavet.errors import DataError


def frame_of(table: Table) -> pd.DataFrame:
    """The table as a DataFrame (a Parquet version is read whole: that is this engine's trade-off)."""
    if isinstance(table, FrameTable):
        df = table.frame.copy(deep=False)
        df.columns = [str(c) for c in df.columns]
        return df
    if isinstance(table, ParquetTable):
        from datavet.ingest import read_parquet

        return read_parquet(table.path)
    raise DataError(f"the pandas engine reads Parquet versions or DataFrames, not {type(table).__name__}",
                    fix="use engine: sql to audit a database table in place")


class PandasEngine(Engine):
    name = "pandas"

    def columns(self, table: Table) -> list[str]:
        if isinstance(table, ParquetTable):
            import pyarrow.dataset as ds

            return list(ds.dataset(table.path, format="parquet", partitioning="hive").schema.names)
        return list(frame_of(table).columns)

    def gx_batch(self, table: Table) -> tuple[Any, dict[str, Any]]:
        from datavet.gx.batches import pandas_batch

        return pandas_batch(frame_of(table))

    def value_counts(self, table: Table, columns: list[str]) -> list[tuple[tuple, int]]:
        df = frame_of(table)
        if df.empty:
            return []
        sizes = df.groupby(columns, dropna=False, sort=False, observed=True).size()
        keys = sizes.index.tolist() if len(columns) > 1 else [(k,) for k in sizes.index.tolist()]
        return [(tuple(None if pd.isna(v) else v for v in k), int(n)) for k, n in zip(keys, sizes.tolist(),
                                                                                  strict=True)]

    def profile(self, table: Table, *, time_columns: list[str], label_columns: list[str],
                missing_tokens: list[str], identifying_columns: Sequence[str] = ()) -> DataProfile:
        """DuckDB over the frame in memory (zero-copy), so both engines describe a table identically
        (its type names and timestamp text are what the datasheet shows)."""
        from datavet.engines.duckdb import DuckDBEngine

        return DuckDBEngine(self.settings).profile(FrameTable(frame_of(table)), time_columns=time_columns,
                                                   label_columns=label_columns, missing_tokens=missing_tokens,
                                                   identifying_columns=identifying_columns)

    def row_difference(self, new: Table, old: Table) -> tuple[int, int]:
        """Multiset difference: rows numbered within their duplicates, then an outer merge."""
        a, b = frame_of(new), frame_of(old)
        if list(a.dtypes.items()) != list(b.dtypes.items()):  # no row of one schema is a row of the other
            return len(a), len(b)
        keys = list(a.columns)

        def numbered(df: pd.DataFrame) -> pd.DataFrame:
            return df.assign(__k=df.groupby(keys, dropna=False, sort=False).cumcount())

        both = numbered(a).merge(numbered(b), on=[*keys, "__k"], how="outer", indicator=True)
        return int((both["_merge"] == "left_only").sum()), int((both["_merge"] == "right_only").sum())
