"""Public entry points of datavet's checks (bias, representation, missingness with GX).

Importing this module is cheap: Great Expectations is imported only when a function runs, because
Airflow imports datavet while parsing DAG files.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from datavet.report import CheckReport
    from datavet.settings import Settings
    from datavet.spec import LoadedSpec


def run_checks(loaded: LoadedSpec, data: Path | pd.DataFrame | None, *, data_hash: str | None = None,
               engine: str = "auto", settings: Settings | None = None, store: bool = True) -> CheckReport:
    """Validate ``data`` against the suite generated from the spec (hand-added expectations kept).

    ``data``: a Parquet path (DuckDB through GX's SQL engine for ``engine='auto'|'duckdb'``, Spark for
    ``engine='spark'``, pandas for ``engine='pandas'``), a CSV path (read as the spec says, pandas), a
    DataFrame (pandas), or None with ``engine='sql'``: the spec's ``source.sql`` table, in place. With
    ``store=True`` the GX validation result is stored under ``<gx>/uncommitted/validations`` and Data
    Docs are rebuilt. Bad input raises a ``datavet.errors.DatavetError``.
    """
    from datavet.gx.runner import run_checks as _run

    return _run(loaded, data, data_hash=data_hash, engine=engine, settings=settings, store=store)


def build_suite(loaded: LoadedSpec, settings: Settings | None = None, columns: list[str] | None = None) -> Path:
    """Write ``expectations/<dataset>.json`` from the spec and return its path. ``columns`` (the data's
    columns, for the per-column missingness checks) defaults to the source's header."""
    from datavet.gx.runner import build_suite as _build

    return _build(loaded, settings, columns)


def validation_result_path(report: CheckReport, settings: Settings | None = None) -> Path | None:
    """Path of the stored GX validation result JSON behind ``report`` (None if not stored)."""
    from datavet.gx.runner import validation_result_path as _path

    return _path(report, settings)


__all__ = ["build_suite", "run_checks", "validation_result_path"]
