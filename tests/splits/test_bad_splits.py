"""Bad splits: refused with the split, the column and the fix, before anything is versioned; the CLI
exits 2 without a traceback and leaves no version, tag or scratch data behind."""

from __future__ import annotations

import pytest

from datavet.audit import audit
from datavet.errors import DataError, SpecError
from datavet.spec import parse_spec
from tests.files.conftest import FilesProject
from tests.splits.conftest import NAMES, OPTIONS, adult_split, adult_splits_spec

TRAIN = adult_splits_spec()["source"]["splits"]["train"]


@pytest.mark.parametrize(("splits", "message"), [
    ({}, "names no split"),
    ({"Train": TRAIN}, "'Train' is not a usable split name"),
    ({"../x": TRAIN}, "is not a usable split name"),
    ({"table": TRAIN}, "other than files, integrity, table"),
    ({"train": {"splits": {"a": TRAIN}}}, "source.splits.train has splits of its own"),
    ({"train": TRAIN, "faces": {"files": {"root": "x", "include": ["*.jpg"]}}}, "mixes a tree of files \\(faces\\)"),
    ({"train": {"path": "a.csv", "sql": {"url_env": "U", "table": "t"}}}, "give exactly one of"),
    ({"train": {"path": "parts/*.csv", "partitioned": True}}, "source.splits.train is partitioned"),
    ({"train": {"sql": {"url_env": "U", "table": "t", "partition_by": ["day"]}}}, "source.splits.train is partitioned"),
])
def test_bad_splits_are_refused_by_the_spec(tmp_path, splits, message) -> None:
    spec = adult_splits_spec()
    spec["source"] = {"splits": splits}
    with pytest.raises(SpecError, match=message):
        parse_spec(spec, tmp_path / "dataset.yaml")


def test_an_entry_names_only_splits_the_source_has(tmp_path) -> None:
    spec = adult_splits_spec(checks={"representation": [{"column": "sex", "splits": ["validation"]}]})
    with pytest.raises(SpecError, match=r"checks.representation\[0\].splits names \['validation'\], not splits"):
        parse_spec(spec, tmp_path / "dataset.yaml")


def test_split_checks_need_a_split_column_without_splits(tmp_path) -> None:
    spec = adult_splits_spec(checks={"split_shift": [{"column": "sex"}]})
    spec["source"] = TRAIN
    with pytest.raises(SpecError, match="split_shift on 'sex' needs split_column"):
        parse_spec(spec, tmp_path / "dataset.yaml")


def test_a_split_with_other_columns_exits_2_and_leaves_nothing(tmp_path) -> None:
    spec = adult_splits_spec()
    renamed = [("gender" if n == "sex" else n) for n in NAMES]
    spec["source"]["splits"]["test"]["options"] = {**OPTIONS, "names": renamed, "skiprows": 1}
    spec["columns"].pop("sex")
    spec["checks"] = {}
    project = FilesProject(tmp_path / "project", "adultsplits")
    project.write_spec(spec)
    proc = project.cli("certify", str(project.spec_path))
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    assert "split 'test' lacks column 'sex' (in split 'train')" in proc.stderr
    assert "column 'sex'" in proc.stderr and "Fix: make source.splits.test give the columns" in proc.stderr
    registry = project.registry
    assert registry.certified_tags("adultsplits") == []
    assert not list(registry.incoming_dir("adultsplits").glob("incoming*/*"))


def test_a_split_with_other_types_is_refused_naming_the_column(tmp_path) -> None:
    test = adult_split("test").astype({"age": "float64"})
    test.to_parquet(tmp_path / "test.parquet", index=False)
    spec = adult_splits_spec(checks={})
    spec["source"]["splits"]["test"] = {"path": str(tmp_path / "test.parquet")}
    project = FilesProject(tmp_path / "project", "adultsplits")
    loaded = project.write_spec(spec)
    with pytest.raises(DataError, match=r"split 'test' holds column 'age' as double, split 'train' as int64") as exc:
        audit(loaded, project.settings)
    assert exc.value.column == "age" and exc.value.dataset == "adultsplits"


def test_data_flag_does_not_apply_to_splits(tmp_path) -> None:
    from datavet.ingest import source_at

    project = FilesProject(tmp_path / "project", "adultsplits")
    loaded = project.write_spec(adult_splits_spec())
    with pytest.raises(DataError, match=r"--data .* named splits \(source.splits\)"):
        source_at(loaded, tmp_path)
