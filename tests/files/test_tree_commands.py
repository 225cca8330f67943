"""The commands a person runs on a tree of files besides certify: ``datavet check --data`` (another
folder laid out like the spec's root), ``datavet datasheet`` (the files section and the files check,
as certify writes them), and a dataset that changes from one table to a tree of files."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections import Counter
from pathlib import Path

import yaml

from datavet.consume import load_certified
from datavet.consume_files import open_certified
from datavet.pipeline import run_all
from datavet.registry.verify import verify_version
from tests.files.conftest import new_files_project


def _observed_files(report_path: Path) -> dict:
    checks = json.loads(report_path.read_text())["checks"]
    return next(c for c in checks if c["check"] == "files")["observed"]


def test_check_data_reads_another_folder_laid_out_like_the_root(tmp_path: Path) -> None:
    project, tree = new_files_project(tmp_path, checks={"files": {"severity": "warning"}})
    other = tmp_path / "other"
    shutil.copytree(tree.root, other)
    gone = sorted(set(tree.manifest) & set(tree.files))[0]
    (other / gone).unlink()  # one listed file fewer in the other folder
    here = project.cli("check", str(project.spec_path), "--json", str(tmp_path / "here.json"))
    there = project.cli("check", str(project.spec_path), "--data", str(other), "--json", str(tmp_path / "there.json"))
    assert here.returncode == there.returncode == 0, here.stdout + here.stderr + there.stdout + there.stderr
    before, after = _observed_files(tmp_path / "here.json"), _observed_files(tmp_path / "there.json")
    assert after["missing_files"] == before["missing_files"] + 1 == len(set(tree.manifest) - set(tree.files)) + 1
    assert gone in after["samples"]["missing"] and gone not in before["samples"]["missing"]
    rows = json.loads((tmp_path / "there.json").read_text())["rows"]
    assert rows == len(tree.files) - 1


def test_check_data_refuses_a_file_for_a_tree(tmp_path: Path) -> None:
    project, _ = new_files_project(tmp_path)
    proc = project.cli("check", str(project.spec_path), "--data", str(tmp_path / "labels.csv"))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "dataset 'faces'" in proc.stderr and "is a tree of files" in proc.stderr
    assert "give a folder laid out like source.files.root" in proc.stderr and "Traceback" not in proc.stderr


def test_datasheet_command_on_a_tree_has_the_files_section(tmp_path: Path) -> None:
    project, tree = new_files_project(tmp_path, checks={"files": {"severity": "warning"},
                                                        "representation": [{"column": "race"}]})
    out = tmp_path / "sheet"
    proc = project.cli("datasheet", str(project.spec_path), "--out", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    sheet = json.loads((out / "datasheet.json").read_text())
    files = sheet["computed"]["files"]
    digests = Counter(hashlib.md5(b).hexdigest() for b in tree.files.values())
    assert files["files"] == len(tree.files) and files["bytes"] == sum(len(b) for b in tree.files.values())
    assert files["missing_files"] == len(set(tree.manifest) - set(tree.files))
    assert files["duplicate_files"] == sum(n - 1 for n in digests.values())
    checks = {c["check"] for c in sheet["validation"]["checks"]}
    assert {"files", "representation"} <= checks, checks
    assert project.registry.certified_tags("faces") == []  # a draft datasheet certifies nothing


def test_a_table_dataset_that_becomes_a_tree(tmp_path: Path) -> None:
    """Version 1 is the label table alone; version 2 the tree with the same labels. Both stay certified,
    verifiable and loadable as what they are, and history lists both."""
    project, tree = new_files_project(tmp_path, checks={"files": {"severity": "warning"},
                                                        "representation": [{"column": "quality"}]},
                                      columns={"quality": {"role": "protected"}})
    tree_spec = yaml.safe_load(project.spec_path.read_text())
    table_spec = {**tree_spec, "source": {"path": str(tmp_path / "labels.csv")},
                  "checks": {"representation": [{"column": "quality"}]}}
    project.write_spec(table_spec)
    _, first, created = run_all(project.loaded(), project.settings)
    assert created and first.tag == "faces/certified/1" and not first.md5.endswith(".dir")
    project.write_spec(tree_spec)
    _, second, created = run_all(project.loaded(), project.settings)
    assert created and second.tag == "faces/certified/2" and second.md5.endswith(".dir")

    registry = project.registry
    assert verify_version(registry, "faces", 1).ok and verify_version(registry, "faces", 2).ok
    table = load_certified("faces", 1, settings=project.settings)
    assert sorted(table["path"]) == sorted(tree.manifest)
    files = open_certified("faces", 2, settings=project.settings)
    assert len(files) == len(tree.files) and files.tag == "faces/certified/2"
    history = project.cli("history", str(project.spec_path), "--json")
    assert history.returncode == 0, history.stderr
    assert [v["tag"] for v in json.loads(history.stdout)] == ["faces/certified/1", "faces/certified/2"]
    changes = json.loads((registry.datasheet_dir("faces") / "datasheet.json").read_text())["changes"]
    assert changes["previous_tag"] == "faces/certified/1"
    assert changes["rows_before"] == len(tree.manifest) and changes["rows_after"] == len(tree.files)
    assert changes["rows_added"] == len(tree.files) and changes["rows_removed"] == len(tree.manifest)

    labels = (tmp_path / "labels.csv").read_text().splitlines(keepends=True)
    (tmp_path / "labels.csv").write_text("".join(labels[:-1]))  # and back to a table, one row fewer
    project.write_spec(table_spec)
    _, third, created = run_all(project.loaded(), project.settings)
    assert created and third.tag == "faces/certified/3" and not third.md5.endswith(".dir")
    assert all(verify_version(registry, "faces", n).ok for n in (1, 2, 3))
    assert len(load_certified("faces", settings=project.settings)) == len(tree.manifest) - 1
