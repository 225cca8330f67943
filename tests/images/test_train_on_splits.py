"""A FairFace tree with train/ and validation/ splits, certified, then read by split: load_certified and
open_certified give exactly each split's rows and files (pandas on the manifest), an unknown split is a
clear error, and the example training DAG trains on split="train" and measures on split="validation"."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from datavet import load_certified, open_certified
from datavet.errors import DataError
from datavet.pipeline import run_all
from tests.images.conftest import FAIRFACE, MANIFEST, fairface_project

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def certified(tmp_path_factory):
    base = tmp_path_factory.mktemp("splits")
    root = base / "data"
    labels = pd.read_csv(MANIFEST, keep_default_na=False).set_index("file")
    rows = []
    for n in range(1, 241):
        rel = f"{'train' if n % 4 else 'validation'}/{n}.jpg"
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(FAIRFACE / f"{n}.jpg", root / rel)
        rows.append({"file": rel, **labels.loc[f"fairface/val/{n}.jpg"].to_dict()})
    manifest = pd.DataFrame(rows)
    manifest.to_csv(root / "labels.csv", index=False)
    checks = {"leakage": {"split_column": "split"},
              "split_shift": [{"split_column": "split", "column": "race", "severity": "warning"}]}
    project = fairface_project(base / "project", ["train/*.jpg", "validation/*.jpg"], checks, files_root=root,
                               manifest=root / "labels.csv")
    spec = project.spec_path.read_text().replace(
        "source:\n", "source:\n  labels_from_path: ^(?P<split>train|validation)/\n")
    project.spec_path.write_text(spec)
    _, cert, created = run_all(project.loaded(), project.settings)
    assert created and cert is not None
    return project, manifest


def test_each_split_is_exactly_its_rows_and_files(certified) -> None:
    project, manifest = certified
    expected = manifest.assign(split=manifest["file"].str.split("/").str[0])
    for split in ("train", "validation"):
        want = sorted(expected.loc[expected["split"] == split, "file"])
        table = load_certified("faces", settings=project.settings, split=split)
        assert sorted(table["file"]) == want and set(table["split"]) == {split}
        files = open_certified("faces", settings=project.settings, split=split)
        assert sorted(p.relative_to(files.root).as_posix() for p, _ in files) == want
        assert all(p.is_file() for p, _ in files)
    only = load_certified("faces", settings=project.settings, split="train", columns=["file"])
    assert list(only.columns) == ["file"] and len(only) == 180
    with pytest.raises(DataError, match=r"no split 'test' .*\['train', 'validation'\]"):
        load_certified("faces", settings=project.settings, split="test")


def test_training_dag_trains_on_train_and_measures_on_validation(certified, airflow_home) -> None:
    project, _ = certified
    proc = airflow_home.run(project.root, "dags", "test", "datavet_train_on_splits", "-c",
                            json.dumps({"dataset": "faces", "label": "gender", "group": "race"}))
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-5000:]
    models = list((project.root / ".datavet" / "models").glob("faces-splits-*.json"))
    assert len(models) == 1
    metrics = json.loads(models[0].read_text())
    assert (metrics["train_files"], metrics["validation_files"]) == (180, 60)
    assert metrics["test_files"] == 60 and metrics["files"] == 240
    assert metrics["md5"] == project.registry.recorded_md5("faces")
