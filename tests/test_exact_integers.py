"""Integers stay exact: a 17-digit integer column with an empty cell (a date stamp such as UTKFace's
20170116174525125) is stored as Parquet int64 with nulls, in tables and in a tree's label table, and
comes back exactly from ``read_source`` and ``load_certified`` (pandas' nullable Int64). float64 would
round it (2**53 < 10**16). The columns added to the real files are computed from their rows; every value
is compared with Python's int of the CSV text."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

from datavet.ingest import read_source
from datavet.settings import Settings
from datavet.sources import source_for
from datavet.spec import load_spec
from tests.conftest import SHARED_DATA
from tests.datasheet.conftest import full_answers

BASE = 20170116174525125  # 17 digits, above 2**53: float64 cannot hold most of its neighbours


def with_stamps(source: Path, out: Path, key: str, empty_every: int = 7) -> dict[str, int | None]:
    """``source`` with a column ``stamp`` (BASE + 1,000,003 x row number; every ``empty_every``-th empty)."""
    with open(source, newline="", encoding="utf-8") as fin:
        rows = list(csv.DictReader(fin))
    stamps: dict[str, int | None] = {}
    for i, row in enumerate(rows):
        row["stamp"] = "" if i % empty_every == 3 else str(BASE + 1_000_003 * i)
        stamps[row[key]] = int(row["stamp"]) if row["stamp"] else None
    with open(out, "w", newline="", encoding="utf-8") as fout:
        writer = csv.DictWriter(fout, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return stamps


def assert_exact(values: pd.Series, keys: pd.Series, stamps: dict[str, int | None]) -> None:
    assert str(values.dtype) == "Int64"
    got = {str(k): (None if pd.isna(v) else int(v)) for k, v in zip(keys, values, strict=True)}
    assert got == {k: stamps[k] for k in got}
    assert any(v is None for v in got.values()) and any(v is not None and float(v) != v for v in got.values())


def write_project(root: Path, spec: dict) -> Path:
    folder = root / "datasheets" / spec["name"]
    folder.mkdir(parents=True)
    (folder / "dataset.yaml").write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    (folder / "answers.yaml").write_text(yaml.safe_dump(full_answers(spec["name"])), encoding="utf-8")
    return folder / "dataset.yaml"


def titanic_spec(csv_path: Path) -> dict:
    return {"name": "titanic", "title": "titanic", "owner": "tests@example.org", "license": "other",
            "source": {"path": str(csv_path), "format": "csv"}, "datasheet": "datasheets/titanic/answers.yaml",
            "columns": {"Sex": {"role": "protected"}, "PassengerId": {"role": "identifying"}},
            "checks": {"representation": [{"column": "Sex", "min_count": 10}]}}


def test_table_version_and_load_certified_keep_17_digit_integers(tmp_path: Path) -> None:
    from datavet import load_certified
    from datavet.pipeline import run_all

    source = tmp_path / "titanic_stamped.csv"
    stamps = with_stamps(SHARED_DATA / "titanic_train.csv", source, "PassengerId")
    loaded = load_spec(write_project(tmp_path / "project", titanic_spec(source)))
    home = tmp_path / "project" / ".datavet"
    settings = Settings(project=tmp_path / "project", registry=home / "registry", remote=str(home / "remote"),
                        gx_root=tmp_path / "project" / "gx")
    made = source_for(loaded, settings).materialise(tmp_path / "v")
    field = pq.read_schema(made.table).field("stamp")
    assert str(field.type) == "int64" and field.nullable
    assert pq.read_table(made.table)["stamp"].null_count == sum(v is None for v in stamps.values())
    frame = read_source(loaded, settings=settings)
    assert_exact(frame["stamp"], frame["PassengerId"], stamps)
    _, cert, created = run_all(loaded, settings)
    assert created and cert is not None
    certified = load_certified("titanic", settings=settings)
    assert_exact(certified["stamp"], certified["PassengerId"], stamps)
    assert certified["Survived"].dtype == "int64"  # a column without a null keeps numpy's type


def test_tree_label_table_keeps_17_digit_integers_from_the_manifest(tmp_path: Path) -> None:
    """FairFace images 1xx.jpg with the real manifest plus a stamp column: the tree's label table."""
    manifest = tmp_path / "fairface_stamped.csv"
    stamps = with_stamps(SHARED_DATA / "fairface_label_val.csv", manifest, "file")
    spec = {"name": "faces", "title": "faces", "owner": "tests@example.org", "license": "CC-BY-4.0",
            "source": {"files": {"root": str(SHARED_DATA), "include": ["fairface/val/1??.jpg"]},
                       "manifest": {"path": str(manifest), "file_column": "file"}},
            "columns": {"race": {"role": "protected"}}, "checks": {}}
    loaded = load_spec(write_project(tmp_path / "project", spec))
    made = source_for(loaded, Settings(project=tmp_path / "project")).materialise(tmp_path / "v")
    from datavet.ingest import read_parquet
    from datavet.sources.base import TABLE_FILE

    table_path = made.table if Path(made.table).is_file() else Path(made.table) / TABLE_FILE
    assert str(pq.read_schema(table_path).field("stamp").type) == "int64"
    table = read_parquet(table_path)
    assert len(table) == 100  # 100.jpg to 199.jpg
    assert_exact(table["stamp"], table["file"], stamps)


@pytest.mark.parametrize("name, options", [("adult.data", {"header": None, "skipinitialspace": True}),
                                           ("german.data", {"sep": " ", "header": None})])
def test_no_null_no_change(tmp_path: Path, name: str, options: dict) -> None:
    """Integer columns without a null are written as pandas' int64 columns are (the pandas path's bytes)."""
    from datavet.ingest import write_parquet

    expected = pd.read_csv(SHARED_DATA / name, keep_default_na=False, na_values=[""], **options)
    expected.columns = [str(c) for c in expected.columns]
    spec = {"name": "t", "title": "t", "owner": "tests@example.org", "license": "CC0",
            "source": {"path": str(SHARED_DATA / name), "format": "csv",
                       "options": {**options, "names": list(expected.columns)}}, "columns": {}, "checks": {}}
    loaded = load_spec(write_project(tmp_path / "project", spec))
    made = source_for(loaded, Settings(project=tmp_path / "project")).materialise(tmp_path / "v")
    assert made.md5 == write_parquet(expected, tmp_path / "pandas.parquet")
