"""engines/sql.py and sources/sql.py against a real PostgreSQL 15, figures checked by hand in pandas."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from datavet.engines.base import SqlTable
from datavet.engines.sql import SqlEngine
from datavet.ingest import file_md5
from datavet.sources import source_for
from tests.checks.conftest import base_spec, make_loaded
from tests.pg import PASSWORD

URL_ENV = "DATAVET_TEST_PG_URL"


def sql_loaded(root: Path, *, name: str = "adult_db", **sql):
    spec = base_spec(name, Path("unused"))
    spec["source"] = {"sql": {"url_env": URL_ENV, **sql}}
    return make_loaded(root, spec)


@pytest.fixture
def pg_env(postgres, monkeypatch):
    monkeypatch.setenv(URL_ENV, postgres.url())
    return postgres


def test_value_counts_and_profile_match_pandas(postgres, datasets):
    bank = datasets["bank"]
    engine = SqlEngine(bank.settings)
    table = SqlTable(postgres.url(), "bank", table="public.bank")
    try:
        assert engine.columns(table) == list(bank.df.columns)
        got = dict(engine.value_counts(table, ["marital", "y"]))
        assert got == {k: int(v) for k, v in bank.df.groupby(["marital", "y"]).size().items()}
        profile = engine.profile(table, time_columns=["month"], label_columns=["y"], missing_tokens=["unknown"])
    finally:
        engine.close()
    assert profile.rows == len(bank.df) == 4521
    assert profile.duplicate_rows == int(bank.df.duplicated().sum())
    assert profile.label_counts == {"y": {str(k): int(v) for k, v in bank.df["y"].value_counts().items()}}
    assert profile.column_types["age"] == "bigint" and profile.column_types["job"] == "text"
    assert profile.time_ranges == {"month": (min(bank.df["month"]), max(bank.df["month"]))}


def test_row_difference_is_a_multiset_difference(postgres, datasets):
    adult = datasets["adult"]
    changed = pd.concat([adult.df.iloc[100:], adult.df.iloc[:3].assign(age=999)], ignore_index=True)
    postgres.load("adult_changed", changed)
    old = Counter(map(tuple, adult.df.astype(str).to_numpy().tolist()))
    new = Counter(map(tuple, changed.astype(str).to_numpy().tolist()))
    engine = SqlEngine(adult.settings)
    try:
        got = engine.row_difference(SqlTable(postgres.url(), "adult", table="adult_changed"),
                                    SqlTable(postgres.url(), "adult", table="public.adult"))
    finally:
        engine.close()
    assert got == (sum((new - old).values()), sum((old - new).values())) == (3, 100)


def test_a_table_becomes_a_deterministic_version(pg_env, datasets, tmp_path, monkeypatch):
    """Streamed in chunks into the one writer of every version, which cuts the row groups: the same
    md5 whatever the physical row order and whatever the chunk size."""
    import datavet.sources.sql as sql_source

    adult = datasets["adult"]
    pg_env.load("adult_shuffled", adult.df.sample(frac=1.0, random_state=7))
    monkeypatch.setattr(sql_source, "CHUNK_ROWS", 5000)
    loaded, settings = sql_loaded(tmp_path / "p", table="public.adult")
    first = source_for(loaded, settings).materialise(tmp_path / "a")
    again = source_for(loaded, settings).materialise(tmp_path / "b")
    shuffled = source_for(sql_loaded(tmp_path / "q", table="adult_shuffled")[0], settings).materialise(tmp_path / "c")
    assert first.rows == again.rows == shuffled.rows == 32561
    monkeypatch.setattr(sql_source, "CHUNK_ROWS", 50_000)
    whole = source_for(loaded, settings).materialise(tmp_path / "d")
    assert first.md5 == again.md5 == shuffled.md5 == whole.md5 == file_md5(first.path)
    assert pq.ParquetFile(first.path).metadata.num_row_groups == 1  # 32,561 rows < ROW_GROUP_ROWS
    written = pd.read_parquet(first.path)
    key = list(adult.df.columns)
    expected = adult.df.sort_values(key, ignore_index=True)
    pd.testing.assert_frame_equal(written.sort_values(key, ignore_index=True), expected, check_dtype=False)
    assert [p.name for p in (tmp_path / "a").iterdir()] == [first.path.name]  # no temp file left


def test_order_by_and_query(pg_env, datasets, tmp_path):
    adult = datasets["adult"]
    loaded, settings = sql_loaded(tmp_path / "p", query="SELECT age, sex, fnlwgt FROM adult WHERE age > 40",
                                  order_by=["fnlwgt"])
    version = source_for(loaded, settings).materialise(tmp_path / "v")
    written = pd.read_parquet(version.path)
    assert version.rows == int((adult.df["age"] > 40).sum())
    assert list(written.columns) == ["age", "sex", "fnlwgt"]
    assert written["fnlwgt"].is_monotonic_increasing
    assert source_for(loaded, settings).columns() == ["age", "sex", "fnlwgt"]


def test_url_from_an_airflow_connection(postgres, datasets, tmp_path, monkeypatch):
    """conn_id: the URL comes from Airflow (here its AIRFLOW_CONN_* environment secrets backend)."""
    monkeypatch.setenv("AIRFLOW_CONN_DATAVET_PG", postgres.url().replace("postgresql://", "postgres://"))
    spec = base_spec("adult_conn", Path("unused"))
    spec["source"] = {"sql": {"conn_id": "datavet_pg", "query": "SELECT sex FROM adult"}}
    loaded, settings = make_loaded(tmp_path, spec)
    version = source_for(loaded, settings).materialise(tmp_path / "v")
    assert version.rows == 32561
    assert PASSWORD not in pq.read_metadata(version.path).to_dict().__repr__()
