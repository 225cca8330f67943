"""The row difference a datasheet's "changes" section reports, on DuckDB and pandas: a multiset
difference between two versions with the same columns, and every row added and removed when the
columns changed (a dataset that gained a column, or a table that became a tree of files)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from datavet.engines import ParquetTable, engine_for
from datavet.settings import Settings
from tests.conftest import SHARED_DATA


def _titanic() -> pd.DataFrame:
    return pd.read_csv(SHARED_DATA / "titanic_train.csv", keep_default_na=False, na_values=[""])


def _table(df: pd.DataFrame, path: Path) -> ParquetTable:
    df.to_parquet(path, index=False)
    return ParquetTable(path)


@pytest.mark.parametrize("engine", ["duckdb", "pandas"])
def test_same_columns_give_the_multiset_difference(engine: str, tmp_path: Path) -> None:
    old = _titanic()
    new = pd.concat([old.iloc[50:], old.iloc[:4].assign(Age=999.0), old.iloc[60:62]], ignore_index=True)
    by_hand = Counter(map(tuple, new.astype(str).to_numpy().tolist())), Counter(
        map(tuple, old.astype(str).to_numpy().tolist()))
    expected = (sum((by_hand[0] - by_hand[1]).values()), sum((by_hand[1] - by_hand[0]).values()))
    runner = engine_for(engine, Settings(project=tmp_path))
    got = runner.row_difference(_table(new, tmp_path / "new.parquet"), _table(old, tmp_path / "old.parquet"))
    assert got == expected == (6, 50)


@pytest.mark.parametrize("engine", ["duckdb", "pandas"])
@pytest.mark.parametrize("change", ["added-column", "dropped-column", "retyped-column"])
def test_changed_columns_share_no_row(engine: str, change: str, tmp_path: Path) -> None:
    old = _titanic()
    new = {"added-column": old.assign(Deck=old["Cabin"].str[:1]),
           "dropped-column": old.drop(columns=["Ticket"]).iloc[:800],
           "retyped-column": old.assign(Pclass=old["Pclass"].astype(str))}[change]
    runner = engine_for(engine, Settings(project=tmp_path))
    got = runner.row_difference(_table(new, tmp_path / "new.parquet"), _table(old, tmp_path / "old.parquet"))
    assert got == (len(new), len(old))
