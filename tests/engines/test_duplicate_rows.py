"""The datasheet's duplicate-row count on DuckDB: exact whatever the number of hash partitions it is
counted in (equal rows share a partition), as pandas counts it; a memory limit too small for the
whole count spills or makes more partitions, not an error."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from datavet.engines import ParquetTable
from datavet.engines.duckdb import DuckDBEngine, _distinct_rows
from datavet.settings import Settings
from tests.conftest import SHARED_DATA


@pytest.fixture(scope="module")
def with_duplicates(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """Bank marketing with some rows repeated (NaN and text included) and its duplicates by pandas."""
    bank = pd.read_csv(SHARED_DATA / "bank_marketing_bank.csv", sep=";", keep_default_na=False, na_values=[""])
    extra = bank.sample(n=3000, random_state=3, replace=True).assign(score=np.nan)
    frame = pd.concat([bank.assign(score=1.5), extra, extra.iloc[:700]], ignore_index=True)
    path = tmp_path_factory.mktemp("dups") / "rows.parquet"
    frame.to_parquet(path, index=False)
    return path, int(frame.duplicated().sum())


@pytest.mark.parametrize("partitions", [1, 2, 7, 64])
def test_exact_in_any_number_of_partitions(with_duplicates: tuple[Path, int], partitions: int, tmp_path) -> None:
    """Both counts from the hashes of the narrower column list: the whole row, and the row without
    ``score`` (which the repeated rows changed, so more rows repeat without it), as pandas counts."""
    path, duplicates = with_duplicates
    without_score = int(pd.read_parquet(path).drop(columns="score").duplicated().sum())
    engine = DuckDBEngine(Settings(project=tmp_path))
    with engine._query(ParquetTable(path)) as (con, src):
        columns = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()]
        rows = con.execute(f"SELECT count(*) FROM {src}").fetchone()[0]
        assert rows - _distinct_rows(con, src, [columns], partitions, rows)[0] == duplicates > 1000
        kept = [c for c in columns if c != "score"]
        assert [rows - d for d in _distinct_rows(con, src, [columns, kept], partitions, rows)] == [
            duplicates, without_score]
        assert without_score > duplicates


def test_a_small_memory_limit_partitions_instead_of_failing(tmp_path) -> None:
    """A million rows, mostly distinct (a key repeated four times over sampled rows), profiled under
    a 24MB limit: one DISTINCT cannot hold them, the rows' hashes can (spilled, or in partitions)."""
    bank = pd.read_csv(SHARED_DATA / "bank_marketing_bank.csv", sep=";", keep_default_na=False, na_values=[""])
    big = bank.sample(n=1_000_000, replace=True, random_state=5).reset_index(drop=True)
    big["key"] = np.arange(len(big)) // 4
    path = tmp_path / "big.parquet"
    big.to_parquet(path, index=False)
    settings = Settings(project=tmp_path, duckdb_profile_memory_limit="24MB", duckdb_threads=1)
    with DuckDBEngine(settings)._query(ParquetTable(path), "24MB") as (con, src), \
            pytest.raises(Exception, match="Out of Memory"):
        con.execute(f"SELECT count(*) FROM (SELECT DISTINCT * FROM {src})").fetchone()
    profile = DuckDBEngine(settings).profile(ParquetTable(path), time_columns=[], label_columns=["y"],
                                             missing_tokens=["?"])
    assert profile.rows == 1_000_000 and profile.duplicate_rows == int(big.duplicated().sum()) > 0


TITANIC_IDS = ["PassengerId", "Name", "Ticket"]


@pytest.fixture(scope="module")
def titanic(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    frame = pd.read_csv(SHARED_DATA / "titanic_train.csv")
    path = tmp_path_factory.mktemp("titanic") / "titanic.parquet"
    frame.to_parquet(path, index=False)
    return path, frame


@pytest.mark.parametrize("engine", ["duckdb", "pandas", "sqlite", "spark"])
def test_duplicates_without_identifying_columns(titanic, engine: str, tmp_path, request) -> None:
    """Titanic: no row repeats exactly (PassengerId differs), but 107 repeat in every other column
    than the identifying ones; pandas' duplicated() on the same columns gives both counts."""
    from datavet.engines import FrameTable, SqlTable, engine_for

    path, frame = titanic
    settings = Settings(project=tmp_path)
    if engine == "sqlite":
        import sqlalchemy as sa

        url = f"sqlite:///{tmp_path / 'titanic.db'}"
        frame.to_sql("titanic", sa.create_engine(url), index=False)
        table = SqlTable(url, "titanic", table="titanic")
        runner = engine_for("sql", settings)
    else:
        if engine == "spark":
            request.getfixturevalue("spark_session")
        table = FrameTable(frame) if engine == "pandas" else ParquetTable(path)
        runner = engine_for(engine, settings)
    profile = runner.profile(table, time_columns=[], label_columns=[], missing_tokens=[],
                             identifying_columns=TITANIC_IDS)
    assert profile.duplicate_rows == int(frame.duplicated().sum()) == 0
    expected = int(frame.drop(columns=TITANIC_IDS).duplicated().sum())
    assert profile.duplicate_rows_without_identifying == expected > 100
    plain = runner.profile(table, time_columns=[], label_columns=[], missing_tokens=[])
    assert plain.duplicate_rows_without_identifying is None  # no identifying column: one figure
