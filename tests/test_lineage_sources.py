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


def test_each_split_is_an_input_named_with_its_split(tmp_path, monkeypatch):
    """A source.splits spec: each split's own source (a file, a tree's root, a database table) is an input of
    the version stage, its split in the datavet_split input facet; the URL's credentials stay out."""
    from openlineage.client.serde import Serde

    from datavet.airflow.lineage import source_datasets, source_inputs

    monkeypatch.setenv("T_URL", "postgresql+psycopg2://auditor:s3cret-pw@db.example.org:5433/census")
    spec = loaded(tmp_path, {"splits": {
        "train": {"path": str(SHARED_DATA / "adult.data"), "format": "csv"},
        "validation": {"path": str(SHARED_DATA / "adult.test"), "format": "csv"},
        "test": {"sql": {"url_env": "T_URL", "table": "public.adult_test"}}}})
    assert dict(source_datasets(spec)) == {"train": ("file", str(SHARED_DATA / "adult.data")),
                                           "validation": ("file", str(SHARED_DATA / "adult.test")),
                                           "test": ("postgres://db.example.org:5433", "census.public.adult_test")}
    events = [json.loads(Serde.to_json(i)) for i in source_inputs(spec)]
    assert {e["inputFacets"]["datavet_split"]["split"]: e["name"] for e in events} == {
        "train": str(SHARED_DATA / "adult.data"), "validation": str(SHARED_DATA / "adult.test"),
        "test": "census.public.adult_test"}
    assert all(e["inputFacets"]["datavet_split"]["_schemaURL"].endswith("DatavetSplitInputDatasetFacet.json")
               for e in events)
    assert "s3cret" not in json.dumps(events) and "auditor" not in json.dumps(events)
    from datavet.airflow.lineage import StageOutcome, operator_lineage
    from datavet.settings import Settings

    staged = operator_lineage(StageOutcome(spec, Settings(project=tmp_path, home=tmp_path / ".datavet"),
                                           "0" * 32 + ".dir", read_source=True))  # what the version operator sends
    assert [json.loads(Serde.to_json(i)) for i in staged.inputs] == events
    trees = loaded(tmp_path / "trees", {"splits": {
        "train": {"files": {"root": str(SHARED_DATA / "fairface"), "include": ["val/1*.jpg"]}},
        "validation": {"files": {"root": str(SHARED_DATA / "fairface" / "val"), "include": ["2*.jpg"]}}}})
    assert dict(source_datasets(trees)) == {"train": ("file", str(SHARED_DATA / "fairface")),
                                            "validation": ("file", str(SHARED_DATA / "fairface" / "val"))}
    plain = loaded(tmp_path / "plain", {"path": str(SHARED_DATA / "adult.data"), "format": "csv"})
    assert [json.loads(Serde.to_json(i)).get("inputFacets") or {} for i in source_inputs(plain)] == [{}]
