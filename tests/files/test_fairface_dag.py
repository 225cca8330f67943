"""FairFace (validation) certified as a tree of files through the real certify DAG (`airflow dags
test`), every figure checked against pandas on the published manifest and hashlib on the files;
then the example training DAG trains on exactly the certified files."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from datavet.registry import Registry
from datavet.registry.certificate import Certificate
from datavet.settings import Settings
from tests.conftest import REPO, SHARED_DATA

pytestmark = pytest.mark.integration
SPEC = REPO / "datasheets" / "fairface_val" / "dataset.yaml"
MANIFEST = SHARED_DATA / "fairface_label_val.csv"


def _registry(project: Path) -> Registry:
    settings = Settings.from_env(project)
    return Registry(settings.registry, settings.remote)


@pytest.fixture(scope="module")
def manifest() -> pd.DataFrame:
    """The manifest read independently, with whether each row's image is in ../shared/data."""
    df = pd.read_csv(MANIFEST, keep_default_na=False)
    df["present"] = [(SHARED_DATA / f).is_file() for f in df["file"]]
    return df


@pytest.fixture(scope="module")
def certified(airflow_home, tmp_path_factory):
    """The repository's FairFace spec and answers in a throw-away project, certified once."""
    project = tmp_path_factory.mktemp("fairface_project")
    spec = yaml.safe_load(SPEC.read_text())
    spec["source"]["files"]["root"] = str(SHARED_DATA)
    spec["source"]["manifest"]["path"] = str(MANIFEST)
    folder = project / "datasheets" / "fairface_val"
    folder.mkdir(parents=True)
    (folder / "dataset.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    shutil.copyfile(SPEC.parent / "answers.yaml", folder / "answers.yaml")
    (project / "expectations").mkdir()
    proc = airflow_home.run(project, "dags", "test", "datavet_certify_fairface_val")
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]
    return project


def test_certified_tree_holds_the_present_files(certified, manifest) -> None:
    registry = _registry(certified)
    assert registry.certified_tags("fairface_val") == ["fairface_val/certified/1"]
    md5 = registry.recorded_md5("fairface_val")
    assert md5 is not None and md5.endswith(".dir")
    cert = Certificate.from_path(registry.certificate_path("fairface_val", md5))
    present = manifest[manifest["present"]]
    assert cert.rows == len(present) == 5000
    on_disk = sorted(p.relative_to(SHARED_DATA).as_posix() for p in (SHARED_DATA / "fairface" / "val").glob("*.jpg"))
    listed = {e.relpath: e.md5 for e in registry.tree_entries(md5)}
    assert sorted(r.removeprefix("files/") for r in listed if r.startswith("files/")) == on_disk
    for rel in on_disk[:50]:  # each listed md5 is the file's own
        assert listed[f"files/{rel}"] == hashlib.md5((SHARED_DATA / rel).read_bytes()).hexdigest()
    for entry in registry.tree_entries(md5):  # every object pushed
        assert registry.remote_object(entry.md5).is_file()  # type: ignore[union-attr]


def test_label_figures_match_pandas_on_the_manifest(certified, manifest) -> None:
    registry = _registry(certified)
    md5 = registry.recorded_md5("fairface_val")
    report = json.loads(registry.validation_path("fairface_val", md5).read_text())
    present = manifest[manifest["present"]]
    observed = {c["column"]: c["observed"]["counts"] for c in report["checks"] if c["check"] == "representation"}
    for column in ("race", "gender", "age"):
        expected = present[column].value_counts().to_dict()
        assert observed[column] == expected, column
    assert present["race"].value_counts().to_dict() == {
        "White": 962, "Black": 726, "East Asian": 725, "Latino_Hispanic": 715, "Indian": 681,
        "Southeast Asian": 664, "Middle Eastern": 527}  # the figures ../shared/data/README.md publishes


def test_integrity_figures_match_the_manifest_and_the_files(certified, manifest) -> None:
    from datavet.registry.tree_version import tree_integrity

    project = certified
    md5 = _registry(project).recorded_md5("fairface_val")
    facts = tree_integrity(Settings.from_env(project), md5)
    assert facts["missing_files"] == int((~manifest["present"]).sum()) == 5954
    assert facts["manifest_rows"] == len(manifest) == 10954
    assert facts["unlisted_files"] == 0 and facts["unreadable_files"] == 0
    paths = sorted((SHARED_DATA / "fairface" / "val").glob("*.jpg"))
    digests = pd.Series([hashlib.md5(p.read_bytes()).hexdigest() for p in paths])
    assert facts["duplicate_files"] == int(digests.duplicated().sum())
    assert facts["files"] == len(paths) and facts["bytes"] == sum(p.stat().st_size for p in paths)
    assert facts["formats"] == {"jpeg": len(paths)}
    # the files check reports them (a warning in this spec), and so does the datasheet
    registry = _registry(project)
    report = json.loads(registry.validation_path("fairface_val", md5).read_text())
    check = next(c for c in report["checks"] if c["check"] == "files")
    assert check["severity"] == "warning" and not check["success"] and report["success"]
    assert check["observed"]["missing_files"] == 5954
    assert check["observed"]["duplicate_files"] == facts["duplicate_files"]
    # duplicates whose manifest labels differ from the first file with the same bytes (pandas)
    labels = manifest.set_index("file")[["age", "gender", "race", "service_test"]]
    rels = [p.relative_to(SHARED_DATA).as_posix() for p in paths]
    by_digest = pd.DataFrame({"file": rels, "md5": digests}).sort_values("file")
    firsts = by_digest.drop_duplicates("md5").set_index("md5")["file"]
    dups = by_digest[by_digest["md5"].duplicated()]
    conflicts = sum(not labels.loc[f].astype(str).equals(labels.loc[firsts[m]].astype(str))
                    for f, m in zip(dups["file"], dups["md5"], strict=True))
    assert check["observed"]["label_conflicts"] == conflicts == 1
    missing = sorted(manifest.loc[~manifest["present"], "file"])
    assert check["observed"]["samples"]["missing"] == missing[:10]
    from PIL import Image

    sizes = pd.Series([f"{w}x{h}" for w, h in (Image.open(p).size for p in paths)]).value_counts()
    sheet = json.loads((registry.datasheet_dir("fairface_val") / "datasheet.json").read_text())["computed"]
    assert sheet["files"]["missing_files"] == 5954 and sheet["files"]["files"] == len(paths)
    assert {s["size"]: s["files"] for s in sheet["files"]["image_sizes"]} == sizes.to_dict()
    assert sheet["rows"] == len(paths)


def test_training_dag_reads_only_the_certified_files(certified, airflow_home) -> None:
    project = certified
    md5 = _registry(project).recorded_md5("fairface_val")
    proc = airflow_home.run(project, "dags", "test", "datavet_train_fairface_val")
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]
    metrics = json.loads((project / ".datavet" / "models" / f"fairface_val-{md5}.json").read_text())
    assert metrics["md5"] == md5 and metrics["files"] == 5000
    assert set(metrics["accuracy_by_group"]) == {"White", "Black", "East Asian", "Latino_Hispanic", "Indian",
                                                 "Southeast Asian", "Middle Eastern"}
