"""Bad input to a files source: each a clear DataError naming the dataset (and the column where there
is one) and the fix, raised before anything reaches the DVC cache or the registry."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from datavet.errors import DataError, SpecError
from datavet.pipeline import version
from tests.files.conftest import FilesProject, new_files_project


def _break(project: FilesProject, change) -> None:
    spec = yaml.safe_load(project.spec_path.read_text())
    change(spec)
    project.write_spec(spec)


def _refused(project: FilesProject, *needles: str, column: str | None = None) -> DataError:
    with pytest.raises(DataError) as info:
        version(project.loaded(), project.settings)
    err = info.value
    assert err.dataset == "faces" and err.fix, str(err)
    for needle in needles:
        assert needle in str(err), str(err)
    if column is not None:
        assert err.column == column
    registry = project.registry
    objects = [p for p in (registry.cache_dir / "files").rglob("*") if p.is_file()] if registry.cache_dir.exists() \
        else []
    assert objects == [], "nothing may reach the DVC cache"
    staging = registry.root / ".staging" / "faces"
    assert not staging.exists() or list(staging.iterdir()) == [], "nothing half written in staging"
    assert registry.certified_tags("faces") == []
    return err


@pytest.fixture
def project(tmp_path: Path) -> FilesProject:
    return new_files_project(tmp_path)[0]


def set_key(*path: str, value: Any):
    def change(spec: dict) -> None:
        node = spec
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return change


def test_root_that_does_not_exist(project: FilesProject, tmp_path: Path) -> None:
    _break(project, set_key("source", "files", "root", value=str(tmp_path / "nowhere")))
    _refused(project, "nowhere", "not an existing folder")


def test_include_that_matches_nothing(project: FilesProject) -> None:
    _break(project, set_key("source", "files", "include", value=["faces/*.jpg", "faces/*.webp"]))
    _refused(project, "'faces/*.webp' matches no file")


def test_include_that_leaves_the_root(project: FilesProject) -> None:
    _break(project, set_key("source", "files", "include", value=["../*.csv"]))
    _refused(project, "leaves source.files.root")


def test_manifest_without_the_file_column(project: FilesProject) -> None:
    _break(project, set_key("source", "manifest", "file_column", value="filename"))
    _refused(project, "no column 'filename'", column="filename")


def test_manifest_path_escaping_the_root(project: FilesProject, tmp_path: Path) -> None:
    labels = tmp_path / "labels.csv"
    labels.write_text(labels.read_text() + "../../etc/passwd,good\n")
    _refused(project, "leave source.files.root", "'../../etc/passwd'", column="path")


def test_manifest_repeating_a_file(project: FilesProject, tmp_path: Path) -> None:
    labels = tmp_path / "labels.csv"
    first = labels.read_text().splitlines()[1]
    labels.write_text(labels.read_text() + first + "\n")
    _refused(project, "repeat a file", column="path")


def test_symlink_pointing_outside_the_root(project: FilesProject, tmp_path: Path) -> None:
    outside = tmp_path / "secret.jpg"
    outside.write_bytes(b"\xff\xd8\xff not really")
    os.symlink(outside, tmp_path / "source" / "faces" / "20_0_1_999.jpg")
    _refused(project, "20_0_1_999.jpg is a symbolic link", "outside source.files.root")


def test_file_in_a_linked_folder_outside_the_root(project: FilesProject, tmp_path: Path) -> None:
    """A folder link leaves the root too: its files are refused by the folder's real path."""
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "30_1_2_998.jpg").write_bytes((tmp_path / "source" / "faces" / sorted(
        p.name for p in (tmp_path / "source" / "faces").glob("*.jpg"))[0]).read_bytes())
    os.symlink(outside, tmp_path / "source" / "faces" / "more", target_is_directory=True)
    _break(project, set_key("source", "files", "include", value=["faces/**/*.jpg"]))
    _refused(project, "more/30_1_2_998.jpg is a symbolic link", "outside source.files.root")


def test_regex_without_named_groups(project: FilesProject) -> None:
    _break(project, set_key("source", "labels_from_path", value=r"(\d+)_([01])_.*"))
    _refused(project, "no named group")


def test_regex_that_matches_no_file(project: FilesProject) -> None:
    _break(project, set_key("source", "labels_from_path", value=r"(?P<age>\d+)-(?P<gender>[mf])\.jpg$"))
    _refused(project, "matches none of the")


def test_invalid_regex(project: FilesProject) -> None:
    _break(project, set_key("source", "labels_from_path", value=r"(?P<age>\d+"))
    _refused(project, "not a regular expression")


def test_spec_column_in_neither_manifest_nor_path(project: FilesProject) -> None:
    _break(project, set_key("columns", "ethnicity", value={"role": "protected"}))
    _refused(project, "ethnicity", column="ethnicity")


def test_files_check_without_a_files_source(tmp_path: Path) -> None:
    from datavet.spec import load_spec

    path = tmp_path / "datasheets" / "t" / "dataset.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(yaml.safe_dump({"name": "t", "title": "t", "owner": "o", "license": "l",
                                    "source": {"path": "x.csv"}, "checks": {"files": {"max_missing_files": 0}}}))
    with pytest.raises(SpecError, match="checks.files checks a tree of files"):
        load_spec(path)
