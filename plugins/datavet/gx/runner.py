"""Run a dataset's checks: suite from the spec, validation on pandas or DuckDB, stored result,
Data Docs when asked (Settings.data_docs), and the CheckReport the rest of datavet reads."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pandas as pd

from datavet.checks.missingness import NAME as MISSINGNESS
from datavet.engines import Engine, FrameTable, ParquetTable, Table, engine_for, engine_name, version_engine
from datavet.engines.parts import counting_parts
from datavet.errors import DataError, DatavetError
from datavet.gx.batches import fetch_inside_connection
from datavet.gx.context import file_context
from datavet.gx.plan import planned, suite_plan
from datavet.gx.results import check_result
from datavet.gx.suite import suite_name, write_suite
from datavet.ingest import check_columns_exist, is_parquet, read_source
from datavet.privacy.gx import scrub
from datavet.recode import check_binned_columns, rules_of
from datavet.report import CheckReport
from datavet.settings import Settings
from datavet.spec import LoadedSpec


def source_columns(loaded: LoadedSpec, settings: Settings | None = None) -> list[str]:
    """The data's column names without reading the data (the source's header or schema)."""
    from datavet.sources import source_for

    try:
        return source_for(loaded, settings or Settings.from_env(loaded.root)).columns()
    except (DatavetError, OSError):
        spec = loaded.spec
        return list(dict.fromkeys([*spec.columns, *sorted(spec.referenced_columns())]))


def build_suite(loaded: LoadedSpec, settings: Settings | None = None, columns: list[str] | None = None) -> Path:
    settings = settings or Settings.from_env(loaded.root)
    context = file_context(settings)
    columns = list(columns) if columns is not None else source_columns(loaded, settings)
    return write_suite(context, loaded, settings, columns, previous_of(loaded, settings, None))[0]


def previous_of(loaded: LoadedSpec, settings: Settings, md5: str | None) -> Callable[[], Any]:
    """The previous certified version (other bytes than ``md5``), looked up once and only when a
    check asks for it (the drift check)."""
    from datavet.registry.store import previous_version

    return functools.cache(lambda: previous_version(loaded, settings, md5))


def choose_engine(loaded: LoadedSpec, data: Path | pd.DataFrame | None, engine: str | None,
                  settings: Settings) -> tuple[Table, Engine, list[str]]:
    """The table to validate, the engine that reads it and its columns (``engine``: a name of
    datavet.engines, or None/"auto" for the spec's ``engine:``, DATAVET_ENGINE or duckdb). A DataFrame
    is validated in memory;
    ``data=None`` with the sql engine audits the spec's ``source.sql`` table in place. A version's
    bytes are validated as they are: with ``engine: sql`` in the spec, by DuckDB (certification checks
    what it certifies, never the table, which may have changed since)."""
    name = loaded.spec.name
    chosen = engine_name(cli=None if engine in (None, "auto") else engine, spec=loaded.spec.engine, settings=settings)
    if data is None:
        if chosen != "sql":
            raise DataError("no data to check", dataset=name,
                            fix="pass the Parquet version (or a DataFrame), or use engine 'sql' with a source.sql spec")
        from datavet.sources.sql import sql_table

        table: Table = sql_table(loaded)
    elif isinstance(data, pd.DataFrame):
        if engine not in (None, "auto", "pandas"):
            raise DataError(f"engine={engine!r} validates a Parquet version, not a DataFrame", dataset=name,
                            fix="pass the Parquet path, or use engine='pandas'/'auto'")
        table = FrameTable(data)
        chosen = "pandas"
    else:
        path = Path(data)
        if not path.exists():
            raise DataError(f"data file {path} does not exist", dataset=name,
                            fix="pass the Parquet version written by ingest (or a DataFrame)")
        if path.is_file() and not is_parquet(path):  # by content: versions in the DVC cache have no suffix
            return choose_engine(loaded, read_source(loaded, path), "pandas", settings)
        table = ParquetTable(path)
        if chosen == "sql" and engine == "sql":
            raise DataError("engine 'sql' audits the spec's source.sql table in place, not a file", dataset=name,
                            fix="leave out the data file (--data), or check the file with duckdb or spark")
        chosen = version_engine(chosen)
    runner = engine_for(chosen, settings)
    try:
        columns = runner.columns(table)
    except DataError as exc:  # engines do not know the dataset's name: say it here
        if exc.dataset:
            raise
        raise type(exc)(exc.message, dataset=name, column=exc.column, fix=exc.fix) from None
    except Exception as exc:
        raise DataError(f"{data if isinstance(data, Path) else 'the data'} is not a readable Parquet version: {exc}",
                        dataset=name, fix="pass the Parquet version written by ingest") from None
    check_columns_exist(loaded, columns)
    return table, runner, columns


def run_checks(loaded: LoadedSpec, data: Path | pd.DataFrame | None, *, data_hash: str | None = None,
               engine: str | None = None, settings: Settings | None = None, store: bool = True) -> CheckReport:
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )
    from great_expectations.validator.v1_validator import Validator

    settings = settings or Settings.from_env(loaded.root)
    table, runner, columns = choose_engine(loaded, data, engine, settings)
    check_binned_columns(rules_of(loaded.spec), lambda cols: runner.value_counts(table, cols), loaded.spec.name)
    batch_definition, parameters = runner.gx_batch(table)
    context = file_context(settings)
    path, suite = write_suite(context, loaded, settings, columns, previous_of(loaded, settings, data_hash))
    validator = Validator(batch_definition=batch_definition, batch_parameters=parameters, result_format="SUMMARY")
    fetch_inside_connection(validator._wrapped_validator.execution_engine)  # see gx/batches.py
    with planned(suite_plan(suite.expectations)), counting_parts(_parts(table, settings)):
        results = validator.validate_expectation_suite(suite)  # every count table of the suite in one GX metric
    private = loaded.spec.private_columns
    scrub(results, private)
    checks = [check_result(r, private) for r in results.results]
    report = CheckReport(
        dataset=loaded.spec.name, data_hash=data_hash, rows=_rows(checks, results), checks=checks,
        success=all(c.success for c in checks if c.severity == "error"), suite_name=suite_name(loaded),
        suite_hash=hashlib.sha256(path.read_bytes()).hexdigest(), engine=runner.name,
        positives=loaded.spec.label_positives())
    if store:
        run_time = dt.datetime.now(dt.UTC)
        run_id = RunIdentifier(run_name=f"{loaded.spec.name}-{data_hash or 'unversioned'}", run_time=run_time)
        results.meta["run_id"] = run_id
        results.meta["validation_time"] = run_time
        results.meta["batch_parameters"] = {"dataframe": "<in-memory DataFrame>"} if parameters else None
        results.meta["datavet"] = {"data_hash": data_hash, "suite_hash": report.suite_hash, "engine": runner.name}
        suite_id = ExpectationSuiteIdentifier(name=suite_name(loaded))
        key = ValidationResultIdentifier(expectation_suite_identifier=suite_id, run_id=run_id,
                                         batch_identifier=results.batch_id or "batch")
        store_ = context.validation_results_store
        store_.store_validation_results(results, key, suite_id)
        report.validation_result_id = "/".join(str(p) for p in key.to_tuple())
        if settings.data_docs:
            context.build_data_docs(resource_identifiers=[key])  # the suite page would show spec values
    return report


def _parts(table: Table, settings: Settings) -> Any:
    """A partitioned version's parts, whose count tables are counted (and cached) part by part."""
    from datavet.engines.parts import parts_of

    if not isinstance(table, ParquetTable) or not table.path.is_dir():
        return None
    return parts_of(table.path, settings.memo_dir)


def _rows(checks: list, results: Any) -> int:
    for c in checks:
        if c.check == MISSINGNESS and isinstance(c.observed.get("rows"), int):
            return c.observed["rows"]
    return 0


def validation_result_path(report: CheckReport, settings: Settings | None = None) -> Path | None:
    """The stored GX validation result JSON of a report (None when it was run with store=False).

    The path follows from ``report.validation_result_id`` and the project's GX store, so it can be
    found in another process (the certify task runs after the check task).
    """
    if report.validation_result_id is None:
        return None
    settings = settings or Settings.from_env()
    store = file_context(settings).validation_results_store
    url = store.store_backend.get_url_for_key(tuple(report.validation_result_id.split("/")))
    path = Path(unquote(urlparse(url).path))
    return path if path.is_file() else None
