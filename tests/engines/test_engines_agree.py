"""Done-when of issue 10: every figure of every check is equal on duckdb, spark and sql (PostgreSQL)
to the figures on pandas, for Adult, Titanic, German credit, bank marketing and the FairFace
manifest (counts exactly, shares and statistics to 1e-12).

pandas validates the DataFrame as ingest reads it; duckdb and spark the Parquet version written
from it; sql the same rows loaded into PostgreSQL. The representation counts are also checked
against pandas' own value_counts of the frame, so agreement cannot come from a shared mistake.
"""

from __future__ import annotations

import pytest

from datavet.engines.base import ParquetTable, SqlTable
from tests.checks.conftest import close
from tests.engines.datasets import DATASETS
from tests.engines.harness import run_suite

ENGINES = ["duckdb", "spark", "sql"]
_RUNS: dict[tuple[str, str], list] = {}


def checks_on(engine: str, dataset, request: pytest.FixtureRequest) -> list:
    key = (engine, dataset.name)
    if key not in _RUNS:
        if engine in ("pandas", "duckdb"):
            _RUNS[key] = dataset.run(engine, store=False).checks
        elif engine == "spark":
            from datavet.engines.spark import SparkEngine

            request.getfixturevalue("spark_session")
            _RUNS[key] = run_suite(dataset.loaded, dataset.settings, SparkEngine(dataset.settings),
                                   ParquetTable(dataset.parquet))
        else:
            from datavet.engines.sql import SqlEngine

            server = request.getfixturevalue("postgres")
            engine_ = SqlEngine(dataset.settings)
            try:
                _RUNS[key] = run_suite(dataset.loaded, dataset.settings, engine_,
                                       SqlTable(server.url(), dataset.name, table=f"public.{dataset.name}"))
            finally:
                engine_.close()
    return _RUNS[key]


@pytest.mark.parametrize("name", list(DATASETS))
@pytest.mark.parametrize("engine", ENGINES)
def test_every_figure_equal(engine, name, datasets, request):
    dataset = datasets[name]
    expected, got = checks_on("pandas", dataset, request), checks_on(engine, dataset, request)
    assert [(c.check, c.column, c.columns, c.by) for c in got] == [(c.check, c.column, c.columns, c.by)
                                                                  for c in expected]
    for x, y in zip(expected, got, strict=True):
        assert close(x.observed, y.observed, 1e-12), (engine, name, x.check, x.column, x.observed, y.observed)
        assert (x.success, x.failures, x.severity) == (y.success, y.failures, y.severity), (x.check, x.column)
    representation = [c for c in got if c.check == "representation"]
    assert representation, "every dataset has a representation check"
    tokens = set(dataset.loaded.spec.missing_tokens)
    for check in representation:
        by_hand = dataset.df[check.column].value_counts(dropna=True)
        assert check.observed["counts"] == {str(k): int(v) for k, v in by_hand.items() if str(k).strip() not in tokens}
