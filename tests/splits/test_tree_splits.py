"""FairFace validation images split into two trees by file number (copies in a tmp folder, each with
its own manifest), certified as one splits version; a training DAG in this test's own dags folder
reads split="train" and split="validation" of it through `airflow dags test`."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import textwrap

import pandas as pd
import pytest
import yaml

from datavet import load_certified, open_certified
from datavet.audit import audit
from datavet.errors import DataError
from datavet.pipeline import run_all
from datavet.report import CheckReport
from tests.files.conftest import FilesProject
from tests.images.conftest import FAIRFACE, MANIFEST

pytestmark = pytest.mark.integration
SPLITS = {"train": range(1, 161), "validation": range(161, 241)}
PLANTED = "planted_copy_of_7.jpg"  # image 7 of train, copied into validation


@pytest.fixture(scope="module")
def certified(tmp_path_factory):
    base = tmp_path_factory.mktemp("treesplits")
    labels = pd.read_csv(MANIFEST, keep_default_na=False).set_index("file")
    source, manifests = {}, {}
    for split, numbers in SPLITS.items():
        root = base / "data" / split
        root.mkdir(parents=True)
        rows = []
        for n in numbers:
            shutil.copyfile(FAIRFACE / f"{n}.jpg", root / f"{n}.jpg")
            rows.append({"file": f"{n}.jpg", **labels.loc[f"fairface/val/{n}.jpg"].to_dict()})
        if split == "validation":
            shutil.copyfile(FAIRFACE / "7.jpg", root / PLANTED)
            rows.append({"file": PLANTED, **labels.loc["fairface/val/7.jpg"].to_dict()})
        manifests[split] = pd.DataFrame(rows)
        manifests[split].to_csv(base / "data" / f"{split}.csv", index=False)
        source[split] = {"files": {"root": str(root), "include": ["*.jpg"]},
                         "manifest": {"path": str(base / "data" / f"{split}.csv"), "file_column": "file"}}
    project = FilesProject(base / "project", "facesplits")
    project.write_spec({
        "name": "facesplits", "title": "FairFace faces in two splits", "owner": "qa@example.org",
        "license": "CC-BY-4.0", "source": {"splits": source},
        "columns": {"race": {"role": "protected"}, "gender": {"role": "protected"}},
        "checks": {"representation": [{"column": "race", "min_count": 1, "severity": "warning"}],
                   "leakage": {"severity": "warning", "labels": ["gender"]},
                   "split_shift": [{"column": "race", "severity": "warning"}]}})
    _, cert, created = run_all(project.loaded(), project.settings)
    assert created and cert is not None
    return project, cert, manifests, base


@pytest.fixture(scope="module")
def exact(certified):
    """The exact report, as `datavet check` computes it before anything is published."""
    project = certified[0]
    return audit(project.loaded(), project.settings).report


def test_each_split_is_its_tree(certified) -> None:
    project, cert, manifests, base = certified
    entries = {e.relpath for e in project.registry.tree_entries(cert.md5)}
    for split, manifest in manifests.items():
        assert {f"{split}/files/{f}" for f in manifest["file"]} <= entries
        assert {f"{split}/table.parquet", f"{split}/integrity.json"} <= entries
        table = load_certified("facesplits", settings=project.settings, split=split)
        assert sorted(table["file"]) == sorted(manifest["file"]) and "split" not in table
        files = open_certified("facesplits", settings=project.settings, split=split)
        got = {p.relative_to(files.root).as_posix(): hashlib.md5(p.read_bytes()).hexdigest() for p, _ in files}
        want = {f: hashlib.md5((base / "data" / split / f).read_bytes()).hexdigest() for f in manifest["file"]}
        assert got == want
    with pytest.raises(DataError, match="open one split at a time"):
        open_certified("facesplits", settings=project.settings)


def test_split_figures_equal_pandas_and_the_planted_copy_is_found(certified, exact) -> None:
    project, cert, manifests, base = certified
    registry = project.registry
    tag = registry.certified_tags("facesplits")[-1]
    report = CheckReport.model_validate_json(registry.show(tag, registry.validation_path("facesplits", cert.md5)))
    shift = next(r for r in report.checks if r.check == "split_shift")
    for split, manifest in manifests.items():
        assert shift.observed["rows"][split] == len(manifest)
        want = manifest["race"].value_counts().to_dict()
        assert next(r for r in exact.checks if r.check == "split_shift").observed["counts"][split] == want
        published = shift.observed["counts"][split]  # small cells (and their complements) withheld as text
        assert all(want[g] == n for g, n in published.items() if isinstance(n, int)) and set(published) == set(want)
    md5s = {s: [hashlib.md5((base / "data" / s / f).read_bytes()).hexdigest() for f in m["file"]]
            for s, m in manifests.items()}
    in_train, in_validation = set(md5s["train"]), set(md5s["validation"])
    shared = sum(m in in_validation for m in md5s["train"]) + sum(m in in_train for m in md5s["validation"])
    published = next(r for r in report.checks if r.check == "leakage").observed["shared_files"]
    assert published == "<10"  # a count of photos of people under the small-cell threshold is withheld
    leak = next(r for r in exact.checks if r.check == "leakage")
    assert leak.column == "split" and leak.observed["shared_files"] == shared >= 2


def test_every_check_runs_on_the_whole_and_each_split_without_differencing(certified, exact) -> None:
    """Per-split counts are more cells of the same table: a group's small count in one split is never
    recoverable as the whole's count minus the other split's."""
    project, cert, manifests, _ = certified
    registry = project.registry
    tag = registry.certified_tags("facesplits")[-1]
    report = CheckReport.model_validate_json(registry.show(tag, registry.validation_path("facesplits", cert.md5)))
    rep = {r.split: r for r in report.checks if r.check == "representation"}
    assert set(rep) == {None, "train", "validation"}
    assert rep[None].subject == "race" and rep["train"].subject == "race in split train"
    exact = {r.split: r for r in exact.checks if r.check == "representation"}
    whole = pd.concat(manifests.values())["race"].value_counts().to_dict()
    assert exact[None].observed["counts"] == whole
    for split, manifest in manifests.items():
        assert exact[split].observed["counts"] == manifest["race"].value_counts().to_dict()
    for split in ("train", "validation"):  # a small count is never published, in any split
        for group, n in exact[split].observed["counts"].items():
            shown = rep[split].observed["counts"].get(group)
            assert (shown == n) if isinstance(shown, int) else n < 10 or shown == "withheld", (split, group, shown)
            assert not (isinstance(shown, int) and n < 10)
    small = 0
    for group in whole:
        published = [rep[s].observed["counts"].get(group) for s in (None, "train", "validation")]
        hidden = [not isinstance(n, int) for n in published]
        if any(isinstance(n, str) and n.startswith("<") for n in published):  # a small cell: whole = train + val
            small += 1
            assert sum(hidden) >= 2, (group, published)  # with one hidden, the other two give it back
    assert small  # the case the rule is about occurs in this data


DAG = '''
import datetime as dt, json, os
from pathlib import Path
from airflow.sdk import dag, task

@dag(dag_id="train_on_facesplits", schedule=None, start_date=dt.datetime(2024, 1, 1, tzinfo=dt.UTC), catchup=False)
def train_on_facesplits():
    @task
    def train():
        from datavet import load_certified, open_certified
        train = load_certified("facesplits", split="train")
        validation = load_certified("facesplits", version=train.attrs["datavet"]["md5"], split="validation")
        files = open_certified("facesplits", version=train.attrs["datavet"]["md5"], split="validation")
        out = {"md5": train.attrs["datavet"]["md5"], "train": len(train), "validation": len(validation),
               "validation_files": len(files), "train_men": int((train["gender"] == "Male").sum())}
        Path(os.environ["DATAVET_HOME"], "trained.json").write_text(json.dumps(out))
    train()

train_on_facesplits()
'''


def test_a_training_dag_reads_train_and_validation(certified, airflow_home, tmp_path) -> None:
    project, cert, manifests, _ = certified
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "train_on_facesplits.py").write_text(textwrap.dedent(DAG))
    env = airflow_home.env(project.root) | {"AIRFLOW__CORE__DAGS_FOLDER": str(dags)}
    proc = subprocess.run([str(airflow_home.bin / "airflow"), "dags", "test", "train_on_facesplits"], env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-5000:]
    trained = json.loads((project.root / ".datavet" / "trained.json").read_text())
    assert trained == {"md5": cert.md5, "train": len(manifests["train"]), "validation": len(manifests["validation"]),
                       "validation_files": len(manifests["validation"]),
                       "train_men": int((manifests["train"]["gender"] == "Male").sum())}


def test_croissant_has_a_file_set_and_record_set_per_split(certified, tmp_path) -> None:
    """Each split's files (a FileSet inside the directory output) read back with their labels."""
    from tests.datasheet.test_croissant_dirs import checkout, loads_clean

    project, cert, manifests, base = certified
    doc = checkout(project, "facesplits", cert.md5, tmp_path)
    raw = json.loads(doc.read_text())
    objects = {d["@id"]: d for d in raw["distribution"]}
    for split in SPLITS:
        assert objects[f"{split}-file-set"]["includes"] == "files/**"
        assert objects[f"{split}-file-set"]["containedIn"] == {"@id": f"{split}-folder"}
        described = next(r["description"] for r in raw["recordSet"] if r["@id"] == split)
        assert f"({len(manifests[split])} files)" in described  # C8's published rows of the split
        folder = (doc.parent / objects[f"{split}-folder"]["contentUrl"]).resolve()
        assert folder == (tmp_path / "data" / "facesplits" / "facesplits" / split).resolve()
    repo = tmp_path / "repo"  # the split folder's md5 is the one `dvc add` records for it
    shutil.copytree(tmp_path / "data" / "facesplits" / "facesplits" / "train", repo / "train")
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run([sys.executable, "-m", "dvc", "init", "-q"], cwd=repo, check=True)
    subprocess.run([sys.executable, "-m", "dvc", "add", "-q", "train"], cwd=repo, check=True)
    recorded = yaml.safe_load((repo / "train.dvc").read_text())["outs"][0]["md5"]
    assert recorded == objects["train-folder"]["md5"] + ".dir"
    dataset = loads_clean(doc)
    for split, manifest in manifests.items():
        want = manifest.set_index("file")
        records = list(dataset.records(record_set=split))
        assert sorted(r[f"{split}/file"].decode() for r in records) == sorted(want.index)
        for record in records:
            rel = record[f"{split}/file"].decode()
            assert record[f"{split}/race"].decode() == want.loc[rel, "race"]
            assert record[f"{split}/content"].size == (224, 224)
            assert hashlib.md5((base / "data" / split / rel).read_bytes()).hexdigest() == hashlib.md5(
                (tmp_path / "data" / "facesplits" / "facesplits" / split / "files" / rel).read_bytes()).hexdigest()
