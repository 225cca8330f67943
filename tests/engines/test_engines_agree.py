"""Done-when of issue 10: every figure of every check is equal on duckdb, spark and sql (PostgreSQL)
to the figures on pandas, for Adult, Titanic, German credit, bank marketing and the FairFace
manifest (counts exactly, shares and statistics to 1e-12), all through ``run_checks(engine=...)``.

pandas validates the DataFrame as ingest reads it; duckdb and spark the Parquet version written
from it; sql the same rows loaded into PostgreSQL, audited in place (a ``source.sql`` spec). The
representation counts are also checked against pandas' own value_counts of the frame, so agreement
cannot come from a shared mistake.
"""

from __future__ import annotations

import pytest

from datavet.checks import run_checks
from tests.checks.conftest import close, make_loaded
from tests.engines.datasets import DATASETS

ENGINES = ["duckdb", "spark", "sql"]
URL_ENV = "DATAVET_TEST_PG_URL"
_RUNS: dict[tuple[str, str], list] = {}


def checks_on(engine: str, dataset, request: pytest.FixtureRequest, tmp_path_factory) -> list:
    key = (engine, dataset.name)
    if key not in _RUNS:
        if engine == "pandas":
            report = run_checks(dataset.loaded, dataset.df, engine="pandas", settings=dataset.settings, store=False)
        elif engine in ("duckdb", "spark"):
            if engine == "spark":
                request.getfixturevalue("spark_session")
            report = run_checks(dataset.loaded, dataset.parquet, engine=engine, settings=dataset.settings,
                                store=False)
        else:
            server = request.getfixturevalue("postgres")
            spec = DATASETS[dataset.name]()
            spec["source"] = {"sql": {"url_env": URL_ENV, "table": f"public.{dataset.name}"}}
            loaded, settings = make_loaded(tmp_path_factory.mktemp(f"sql-{dataset.name}"), spec)
            with pytest.MonkeyPatch.context() as mp:
                mp.setenv(URL_ENV, server.url())
                report = run_checks(loaded, None, engine="sql", settings=settings, store=False)
        assert report.engine == engine
        _RUNS[key] = report.checks
    return _RUNS[key]


@pytest.mark.parametrize("name", list(DATASETS))
@pytest.mark.parametrize("engine", ENGINES)
def test_every_figure_equal(engine, name, datasets, request, tmp_path_factory):
    dataset = datasets[name]
    expected = checks_on("pandas", dataset, request, tmp_path_factory)
    got = checks_on(engine, dataset, request, tmp_path_factory)
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
