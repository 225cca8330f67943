"""Where a batch comes from: a pandas DataFrame, or DuckDB over the Parquet version through GX's
SQLAlchemy engine (bounded memory: DuckDB streams the file; only count tables come back).

Data sources live in an ephemeral context, never in the project's great_expectations.yml.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd

DUCKDB_MEMORY_LIMIT = os.environ.get("DATAVET_DUCKDB_MEMORY_LIMIT", "1GB")
SOURCE = "datavet"


def _ephemeral_context() -> Any:
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context


def pandas_batch(df: pd.DataFrame) -> tuple[Any, dict[str, Any]]:
    """(batch definition, batch parameters) validating ``df`` in memory."""
    context = _ephemeral_context()
    asset = context.data_sources.add_pandas(SOURCE).add_dataframe_asset("data")
    return asset.add_batch_definition_whole_dataframe("all"), {"dataframe": df}


def duckdb_batch(parquet: Path) -> tuple[Any, dict[str, Any]]:
    """(batch definition, batch parameters) validating a Parquet file with DuckDB (no temp table:
    every metric is one aggregate query over ``read_parquet``)."""
    context = _ephemeral_context()
    source = context.data_sources.add_sql(
        SOURCE, connection_string="duckdb:///:memory:", create_temp_table=False,
        kwargs={"connect_args": {"config": {"memory_limit": DUCKDB_MEMORY_LIMIT,
                                            "preserve_insertion_order": False}}})
    literal = str(parquet.resolve()).replace("'", "''")
    asset = source.add_query_asset("data", query=f"SELECT * FROM read_parquet('{literal}')")
    return asset.add_batch_definition_whole_table("all"), {}


def fetch_inside_connection(execution_engine: Any) -> None:
    """Make GX's own SQL metrics (hand-added built-in expectations) work on DuckDB.

    GX 1.24 ``execute_query`` returns a cursor result after its connection closed, and DuckDB drops
    results on close. On this execution engine only, the result is buffered before the close.
    """
    if getattr(execution_engine, "dialect_name", "") != "duckdb" or getattr(execution_engine, "_datavet_fix", False):
        return

    def execute_query(query: Any) -> Any:
        with execution_engine.engine.connect() as connection:
            return connection.execute(query).freeze()()

    execution_engine.execute_query = execute_query
    execution_engine._datavet_fix = True
