"""DuckDB (the default engine): reads the Parquet version out of core, through GX's SQLAlchemy engine
for the checks and directly for the profile and the row difference. Memory stays bounded by
``DATAVET_DUCKDB_MEMORY_LIMIT``: DuckDB streams the file and spills its hash tables to disk; only
count tables (one row per group) come back to Python.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from datavet.engines.base import DataProfile, Engine, FrameTable, ParquetTable, Table
from datavet.errors import DataError
from datavet.sources.parquet import parquet_scan  # one reading of a Parquet file or directory
from datavet.sources.table import literal
from datavet.sources.table import quote as ident


class DuckDBEngine(Engine):
    name = "duckdb"

    @contextmanager
    def connect(self, memory_limit: str | None = None) -> Iterator[Any]:
        import duckdb

        with tempfile.TemporaryDirectory(prefix="datavet-duckdb-") as spill:
            con = duckdb.connect(":memory:", config={
                "memory_limit": memory_limit or self.settings.duckdb_memory_limit,
                "threads": self.settings.duckdb_threads,
                "temp_directory": spill, "preserve_insertion_order": False})
            try:
                yield con
            finally:
                con.close()

    def _from(self, table: Table) -> str:
        if isinstance(table, ParquetTable):
            return parquet_scan(table.path)
        if isinstance(table, FrameTable):
            return "frame"
        raise DataError(f"the duckdb engine reads Parquet versions, not {type(table).__name__}",
                        fix="use engine: sql to audit a database table in place")

    @contextmanager
    def _query(self, table: Table, memory_limit: str | None = None) -> Iterator[tuple[Any, str]]:
        with self.connect(memory_limit) as con:
            if isinstance(table, FrameTable):
                con.register("frame", table.frame)
            yield con, self._from(table)

    def columns(self, table: Table) -> list[str]:
        with self._query(table) as (con, src):
            return [str(r[0]) for r in con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()]

    def gx_batch(self, table: Table) -> tuple[Any, dict[str, Any]]:
        """Every metric is one aggregate query over ``read_parquet`` (no temp table)."""
        if not isinstance(table, ParquetTable):
            raise DataError("the duckdb engine validates a Parquet version, not a DataFrame",
                            fix="pass the Parquet path, or use the pandas engine")
        from datavet.gx.batches import ephemeral_context

        source = ephemeral_context().data_sources.add_sql(
            "datavet", connection_string="duckdb:///:memory:", create_temp_table=False,
            kwargs={"connect_args": {"config": {"memory_limit": self.settings.duckdb_memory_limit,
                                                "threads": self.settings.duckdb_threads,
                                                "preserve_insertion_order": False}}})
        asset = source.add_query_asset("data", query=f"SELECT * FROM {parquet_scan(table.path)}")
        return asset.add_batch_definition_whole_table("all"), {}

    def value_counts(self, table: Table, columns: list[str]) -> list[tuple[tuple, int]]:
        keys = ", ".join(ident(c) for c in columns)
        with self._query(table) as (con, src):
            rows = con.execute(f"SELECT {keys}, count(*) FROM {src} GROUP BY ALL").fetchall()
        return [(tuple(r[:-1]), int(r[-1])) for r in rows]

    def profile(self, table: Table, *, time_columns: list[str], label_columns: list[str],
                missing_tokens: list[str]) -> DataProfile:
        """One scan groups identical rows, keeping only the narrow columns the profile needs (under
        its own, smaller memory limit: the grouped table spills to disk instead)."""
        with self._query(table, self.settings.duckdb_profile_memory_limit) as (con, src):
            types = {str(r[0]): str(r[1]) for r in con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()}
            times = [c for c in time_columns if c in types]
            labels = [c for c in label_columns if c in types]
            keys = ", ".join(ident(c) for c in types)
            narrow = ([f"{_time_expr(c, types[c], missing_tokens)} AS t{i}" for i, c in enumerate(times)]
                      + [f"{ident(c)} AS l{i}" for i, c in enumerate(labels)] + ["count(*) AS n"])
            con.execute(f"CREATE TEMP TABLE g AS SELECT {', '.join(narrow)} FROM {src} GROUP BY {keys}")
            outer = ", ".join(["sum(n)", "count(*)"] + [f"min(t{i}), max(t{i})" for i in range(len(times))])
            row = con.execute(f"SELECT {outer} FROM g").fetchone()
            label_counts = {}
            for i, col in enumerate(labels):
                found = con.execute(f"SELECT l{i}, sum(n) FROM g GROUP BY l{i} ORDER BY 2 DESC").fetchall()
                label_counts[col] = {("<missing>" if v is None else str(v)): int(k) for v, k in found}
        assert row is not None
        rows = int(row[0] or 0)
        ranges = {}
        for i, col in enumerate(times):
            lo, hi = row[2 + 2 * i], row[3 + 2 * i]
            ranges[col] = (None if lo is None else str(lo), None if hi is None else str(hi))
        return DataProfile(rows=rows, duplicate_rows=rows - int(row[1] or 0), column_types=types,
                           time_ranges=ranges, label_counts=label_counts)

    def row_difference(self, new: Table, old: Table) -> tuple[int, int]:
        with self.connect() as con:
            a, b = self._from(new), self._from(old)
            schemas = [con.execute(f"DESCRIBE SELECT * FROM {x}").fetchall() for x in (a, b)]
            if [r[:2] for r in schemas[0]] != [r[:2] for r in schemas[1]]:  # no row of one schema is in the other
                return (*(int(con.execute(f"SELECT count(*) FROM {x}").fetchone()[0]) for x in (a, b)),)

            def count(x: str, y: str) -> int:
                return int(con.execute(f"SELECT count(*) FROM (SELECT * FROM {x} EXCEPT ALL "
                                       f"SELECT * FROM {y})").fetchone()[0])

            return count(a, b), count(b, a)


def _time_expr(col: str, typ: str, tokens: list[str]) -> str:
    """Missing tokens are not times; text columns holding ISO dates are compared as timestamps."""
    q = ident(col)
    if typ.upper() in ("VARCHAR", "TEXT", "STRING"):
        cleaned = q if not tokens else (f"CASE WHEN trim({q}) IN ({', '.join(map(literal, tokens))}) "
                                        f"THEN NULL ELSE {q} END")
        return f"coalesce(CAST(TRY_CAST({cleaned} AS TIMESTAMP) AS VARCHAR), {cleaned})"
    return q
