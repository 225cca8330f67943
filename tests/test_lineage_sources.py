"""The source a version stage read, as OpenLineage names it: a file by its absolute path, a tree by
its root, a database table by <scheme>://<host>:<port> and <database>.<table>, never with the
password of the URL; a query names no table."""

from __future__ import annotations

import json

import pytest
import yaml

from datavet.airflow.lineage import source_dataset
from datavet.spec import load_spec
from tests.conftest import SHARED_DATA


def loaded(tmp_path, source: dict):
    folder = tmp_path / "datasheets" / "t"
    folder.mkdir(parents=True)
    spec = {"name": "t", "title": "t", "owner": "o@example.org", "license": "CC0", "source": source,
            "columns": {}, "checks": {}}
    (folder / "dataset.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    return load_spec(folder / "dataset.yaml")


def test_a_file_and_a_tree(tmp_path):
    csv = loaded(tmp_path / "a", {"path": str(SHARED_DATA / "adult.data"), "format": "csv"})
    assert source_dataset(csv) == ("file", str(SHARED_DATA / "adult.data"))
    tree = loaded(tmp_path / "b", {"files": {"root": str(SHARED_DATA), "include": ["fairface/val/*.jpg"]}})
    assert source_dataset(tree) == ("file", str(SHARED_DATA))


def test_a_database_table_without_credentials(tmp_path, monkeypatch):
    monkeypatch.setenv("T_URL", "postgresql+psycopg2://auditor:s3cret-pw@db.example.org:5433/census")
    table = loaded(tmp_path / "c", {"sql": {"url_env": "T_URL", "table": "public.adult"}})
    got = source_dataset(table)
    assert got == ("postgres://db.example.org:5433", "census.public.adult")
    assert "s3cret" not in json.dumps(got) and "auditor" not in json.dumps(got)
    query = loaded(tmp_path / "d", {"sql": {"url_env": "T_URL", "query": "SELECT * FROM adult",
                                            "order_by": ["id"]}})
    assert source_dataset(query) is None


@pytest.mark.parametrize("url, expected", [("postgresql://u:p@localhost/db", ("postgres://localhost", "db.t1"))])
def test_default_port(tmp_path, monkeypatch, url, expected):
    monkeypatch.setenv("T_URL", url)
    assert source_dataset(loaded(tmp_path, {"sql": {"url_env": "T_URL", "table": "t1"}})) == expected
