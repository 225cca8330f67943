"""Adult as named splits: one version (a DVC directory with a member per split, one md5, one tag),
the split checks run with no split_column, per-split figures equal pandas on the same files, and each
split reads back as exactly its source's rows."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from datavet import load_certified, open_certified
from datavet.errors import DataError, NotCertifiedError
from datavet.pipeline import run_all
from datavet.report import CheckReport
from tests.files.conftest import FilesProject
from tests.splits.conftest import adult_split, adult_splits_spec

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def certified(tmp_path_factory):
    project = FilesProject(tmp_path_factory.mktemp("adultsplits") / "project", "adultsplits")
    project.write_spec(adult_splits_spec())
    info, cert, created = run_all(project.loaded(), project.settings)
    assert created and cert is not None
    return project, cert


def test_one_version_holds_a_member_per_split(certified) -> None:
    project, cert = certified
    registry = project.registry
    assert cert.md5.endswith(".dir") and registry.certified_tags("adultsplits") == ["adultsplits/certified/1"]
    entries = {e.relpath for e in registry.tree_entries(cert.md5)}
    assert entries == {"train.parquet", "test.parquet", "table.parquet", "splits.json"}
    assert registry.recorded_md5("adultsplits") == cert.md5


def test_each_split_reads_back_as_its_source(certified) -> None:
    project, _ = certified
    for name in ("train", "test"):
        got = load_certified("adultsplits", settings=project.settings, split=name, missing_as_null=False)
        pd.testing.assert_frame_equal(got, adult_split(name), check_dtype=False)
    whole = load_certified("adultsplits", settings=project.settings, columns=["sex", "split"])
    assert whole["split"].value_counts().to_dict() == {"train": len(adult_split("train")),
                                                       "test": len(adult_split("test"))}
    with pytest.raises(DataError, match=r"no split 'validation' \(it has \['test', 'train'\]\)"):
        load_certified("adultsplits", settings=project.settings, split="validation")
    with pytest.raises(NotCertifiedError, match="split 'train' .* is a table"):
        open_certified("adultsplits", settings=project.settings, split="train")


def test_split_checks_use_the_splits_and_count_as_pandas(certified) -> None:
    project, cert = certified
    registry = project.registry
    report = CheckReport.model_validate_json(
        registry.show("adultsplits/certified/1", registry.validation_path("adultsplits", cert.md5)))
    shift = next(r for r in report.checks if r.check == "split_shift")
    assert shift.by == "split" and shift.observed["reference_split"] == "train"
    for name in ("train", "test"):
        frame = adult_split(name)
        assert shift.observed["rows"][name] == len(frame)
        assert shift.observed["counts"][name] == frame["sex"].value_counts().to_dict()
        positives = frame["income"].str.rstrip(".").eq(">50K").groupby(frame["sex"]).sum().to_dict()
        rates = shift.observed["positive_rates"][name]
        assert rates == pytest.approx({g: positives[g] / n for g, n in frame["sex"].value_counts().items()})
    missing = {r.split: r.observed["missing_count"] for r in report.checks
               if r.check == "missingness" and r.column == "workclass"}
    assert missing == {None: sum(missing[s] for s in ("train", "test")),
                       **{s: int(adult_split(s)["workclass"].eq("?").sum()) for s in ("train", "test")}}
    scoped = [r for r in report.checks if r.check == "representation"]  # `splits: [test]`: that split only
    assert [(r.split, r.observed["counts"]) for r in scoped] == [("test", adult_split("test")["race"].value_counts()
                                                                   .to_dict())]
    leak = next(r for r in report.checks if r.check == "leakage")
    train, test = adult_split("train"), adult_split("test")
    test = test.assign(income=test["income"].str.rstrip("."))  # the spec's values: recoded before the checks
    rows = {name: list(map(tuple, frame.astype(str).to_numpy())) for name, frame in (("train", train), ("test", test))}
    in_test, in_train = set(rows["test"]), set(rows["train"])
    shared = sum(row in in_test for row in rows["train"]) + sum(row in in_train for row in rows["test"])
    assert leak.column == "split" and leak.observed["shared_rows"] == shared > 0


def test_datasheet_answers_c8_with_each_splits_figures(certified) -> None:
    project, cert = certified
    registry = project.registry
    tag = registry.certified_tags("adultsplits")[-1]
    sheet = json.loads(registry.show(tag, registry.datasheet_dir("adultsplits") / "datasheet.json"))
    figures = {s["split"]: s for s in sheet["computed"]["splits"]}
    assert list(figures) == ["train", "test"]
    for name, figure in figures.items():
        frame = adult_split(name)
        assert figure["rows"]["value"] == len(frame)
        sex = {g["group"]: g["count"]["value"] for g in figure["groups"]["sex"]}
        assert sex == frame["sex"].value_counts().to_dict()
    c8 = next(p for s in sheet["sections"] for p in s["prompts"] if p["id"] == "C8")
    assert c8["figures"] == ["splits"]
    card = registry.show(tag, registry.datasheet_dir("adultsplits") / "datasheet.md").decode()
    assert "### Splits (C8)" in card and f"| train | {len(adult_split('train')):,} |" in card


def test_croissant_has_a_record_set_per_split(certified, tmp_path) -> None:
    import mlcroissant as mlc

    project, cert = certified
    registry = project.registry
    tag = registry.certified_tags("adultsplits")[-1]
    folder = tmp_path / "datasheets" / "adultsplits"
    folder.mkdir(parents=True)
    path = folder / "datasheet.croissant.json"
    path.write_bytes(registry.show(tag, registry.datasheet_dir("adultsplits") / "datasheet.croissant.json"))
    data = tmp_path / "data" / "adultsplits" / "adultsplits"  # the directory output, checked out
    data.mkdir(parents=True)
    for entry in registry.tree_entries(cert.md5):
        shutil.copyfile(registry.bytes_path(entry.md5), data / entry.relpath)
    dataset = mlc.Dataset(jsonld=path)
    assert not dataset.metadata.ctx.issues.errors, dataset.metadata.ctx.issues.report()
    for name in ("train", "test"):
        frame = adult_split(name)
        rows = [r for _, r in zip(range(3), dataset.records(record_set=name), strict=False)]
        got = [r[f"{name}/education"].decode() for r in rows]
        assert got == frame["education"].head(3).tolist()
        assert f"{name}/split" not in rows[0]


def test_hf_export_has_a_data_file_per_split(certified, tmp_path) -> None:
    import yaml

    from datavet.export_hf import export_hf

    project, _ = certified
    paths = export_hf(project.loaded(), project.settings, tmp_path / "hf")
    card = paths["card"].read_text()
    meta = yaml.safe_load(card.split("---")[1])
    assert meta["configs"] == [{"config_name": "default", "data_files": [
        {"split": "train", "path": "data/train.parquet"}, {"split": "test", "path": "data/test.parquet"}]}]
    for name in ("train", "test"):
        exported = pd.read_parquet(tmp_path / "hf" / "data" / f"{name}.parquet")
        pd.testing.assert_frame_equal(exported, adult_split(name), check_dtype=False)
