"""What every engine's GX batch shares: an ephemeral GX context (data sources never land in the
project's great_expectations.yml), the in-memory pandas batch, and the DuckDB fetch fix.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

SOURCE = "datavet"


def ephemeral_context() -> Any:
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context


def pandas_batch(df: pd.DataFrame) -> tuple[Any, dict[str, Any]]:
    """(batch definition, batch parameters) validating ``df`` in memory."""
    context = ephemeral_context()
    asset = context.data_sources.add_pandas(SOURCE).add_dataframe_asset("data")
    return asset.add_batch_definition_whole_dataframe("all"), {"dataframe": df}


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
