"""The ``files`` check: the integrity counts of a tree version against the spec's limits, blocking
certification at error severity and reported at warning severity; a tree without a manifest has no
missing or unlisted files to limit."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import pytest

from datavet.errors import ChecksFailed
from datavet.pipeline import validate, version
from tests.files.conftest import FilesProject, Tree, make_tree, new_files_project, tree_spec


def _expected(tree: Tree) -> dict[str, int]:
    digests = Counter(hashlib.md5(b).hexdigest() for b in tree.files.values())
    return {"missing_files": len(set(tree.manifest) - set(tree.files)),
            "unlisted_files": len(set(tree.files) - set(tree.manifest)),
            "unreadable_files": 3,  # truncated JPEG, zero-byte PNG, text named .jpg
            "duplicate_files": sum(n - 1 for n in digests.values())}


ALL_ZERO = {"max_missing_files": 0, "max_unlisted_files": 0, "max_unreadable_files": 0, "max_duplicate_files": 0}


def test_error_severity_blocks_with_every_count_named(tmp_path: Path) -> None:
    project, tree = new_files_project(tmp_path, checks={"files": {**ALL_ZERO, "max_missing_files": 2}})
    loaded = project.loaded()
    info = version(loaded, project.settings)
    with pytest.raises(ChecksFailed) as failed:
        validate(loaded, project.settings, info.md5)
    expected = _expected(tree)
    summary = failed.value.summary
    assert "[error] files on file" in summary
    assert "missing_files" not in summary  # 2 missing files are within max_missing_files 2
    for name in ("unlisted_files", "unreadable_files", "duplicate_files"):
        assert f"{name} = {expected[name]} > max_{name} 0" in summary, summary
    assert project.registry.certified_tags("faces") == []


def test_warning_severity_reports_the_counts_and_samples(tmp_path: Path) -> None:
    project, tree = new_files_project(tmp_path, checks={"files": {**ALL_ZERO, "severity": "warning"},
                                                        "representation": [{"column": "race"}]})
    loaded = project.loaded()
    info = version(loaded, project.settings)
    report = validate(loaded, project.settings, info.md5)
    assert report.success
    files = next(c for c in report.checks if c.check == "files")
    assert not files.success and files.severity == "warning"
    expected = _expected(tree)
    assert {k: files.observed[k] for k in expected} == expected
    assert files.observed["samples"]["missing"] == sorted(set(tree.manifest) - set(tree.files))
    assert files.thresholds == {"max_missing_files": 0, "max_unlisted_files": 0, "max_unreadable_files": 0,
                                "max_duplicate_files": 0}


def test_without_a_manifest_only_unreadable_and_duplicates_are_limited(tmp_path: Path) -> None:
    tree = make_tree(tmp_path / "source")
    project = FilesProject(tmp_path / "project")
    loaded = project.write_spec(tree_spec("faces", tree.root, None, columns={"race": {"role": "protected"}},
                                          checks={"files": {"max_unreadable_files": 3, "max_duplicate_files": 1}}))
    info = version(loaded, project.settings)
    report = validate(loaded, project.settings, info.md5)
    files = next(c for c in report.checks if c.check == "files")
    assert files.success, files.failures
    assert files.observed["missing_files"] is None and files.observed["unlisted_files"] is None
    assert files.observed["manifest_rows"] is None and files.observed["files"] == len(tree.files)


def test_an_omitted_limit_is_not_checked(tmp_path: Path) -> None:
    """An empty files check limits nothing (it reports the counts): no limit defaults to 0."""
    project, tree = new_files_project(tmp_path, checks={"files": {}})
    loaded = project.loaded()
    report = validate(loaded, project.settings, version(loaded, project.settings).md5)
    files = next(c for c in report.checks if c.check == "files")
    assert files.success and files.thresholds == {} and files.severity == "error"
    assert {k: files.observed[k] for k in _expected(tree)} == _expected(tree)


def test_datavet_check_cli_on_a_tree(tmp_path: Path) -> None:
    """`datavet check SPEC` materialises the tree in a temporary folder: exit 1 when the files check
    fails at error severity, the JSON report naming the counts; nothing is left in the registry."""
    import json

    project, tree = new_files_project(tmp_path, checks={"files": ALL_ZERO})
    out = tmp_path / "report.json"
    proc = project.cli("check", str(project.spec_path), "--json", str(out))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "[error] files on file" in proc.stdout
    files = next(c for c in json.loads(out.read_text())["checks"] if c["check"] == "files")
    assert {k: files["observed"][k] for k in _expected(tree)} == _expected(tree)
    assert not project.settings.registry.exists()
