"""Engines: what computes the count tables. Chosen by name in one place (:func:`engine_name`).

Each engine is a module imported only when chosen (Spark and database drivers are heavy).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from datavet.engines.base import DataProfile, Engine, FrameTable, ParquetTable, SqlTable, Table
from datavet.errors import DataError

if TYPE_CHECKING:  # pragma: no cover
    from datavet.settings import Settings

ENGINES: dict[str, str] = {
    "duckdb": "datavet.engines.duckdb:DuckDBEngine",
    "pandas": "datavet.engines.pandas:PandasEngine",
    "spark": "datavet.engines.spark:SparkEngine",
    "sql": "datavet.engines.sql:SqlEngine",
}
DEFAULT_ENGINE = "duckdb"


def engine_name(*, cli: str | None = None, spec: str | None = None, settings: Settings | None = None) -> str:
    """The engine to use: ``--engine`` over the spec's ``engine:`` over ``DATAVET_ENGINE`` over duckdb."""
    for name in (cli, spec, settings.engine if settings is not None else None):
        if name:
            if name not in ENGINES:
                raise DataError(f"unknown engine {name!r}", fix=f"use one of {', '.join(ENGINES)}")
            return name
    return DEFAULT_ENGINE


def version_engine(name: str) -> str:
    """The engine that reads a version's Parquet bytes when ``name`` is chosen: the sql engine audits
    a database table in place, so a version (certification, its datasheet and changes) is read by DuckDB."""
    return DEFAULT_ENGINE if name == "sql" else name


def engine_for(name: str, settings: Settings) -> Engine:
    """An instance of the engine called ``name``."""
    module, _, cls = ENGINES[engine_name(cli=name)].partition(":")
    return getattr(importlib.import_module(module), cls)(settings)


__all__ = ["DEFAULT_ENGINE", "ENGINES", "DataProfile", "Engine", "FrameTable", "ParquetTable", "SqlTable", "Table",
           "engine_for", "engine_name", "version_engine"]
