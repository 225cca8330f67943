"""A tree version certified end to end (real git, DVC, GX): DVC's own md5 for the folder, per-file
objects shared between versions, push, per-file verification, and the consumers."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from datavet import load_certified, open_certified
from datavet.errors import NotCertifiedError
from datavet.ingest import file_md5
from datavet.registry import dvctree
from datavet.registry.certificate import Certificate
from datavet.registry.verify import verify_version
from tests.files.conftest import FilesProject, Tree, image_bytes


def _cert(project: FilesProject, tag: str = "faces/certified/1") -> Certificate:
    md5 = project.registry.recorded_md5("faces", rev=tag)
    assert md5 is not None
    return Certificate.from_path(project.registry.certificate_path("faces", md5))


def test_pointer_certificate_and_remote_agree(certified_tree: tuple[FilesProject, Tree]) -> None:
    project, tree = certified_tree
    registry = project.registry
    pointer = yaml.safe_load(registry.dvc_file("faces").read_text())["outs"][0]
    cert = _cert(project)
    assert pointer["md5"] == cert.md5 and cert.md5.endswith(".dir")
    assert pointer["nfiles"] == len(tree.files) + 2  # the files, table.parquet and integrity.json
    entries = registry.tree_entries(cert.md5)
    assert pointer["size"] == cert.size == sum(registry.cache_path(e.md5).stat().st_size for e in entries)
    assert cert.rows == len(tree.files) and cert.data_path == "data/faces/faces"
    for entry in entries:  # every object pushed, byte for byte
        obj = registry.remote_object(entry.md5)
        assert obj is not None and file_md5(obj) == entry.md5
    status = subprocess.run([sys.executable, "-m", "dvc", "status", "-c", "data/faces/faces.dvc"],
                            cwd=registry.root, capture_output=True, text=True)
    assert status.returncode == 0 and "in sync" in status.stdout, status.stdout + status.stderr
    assert verify_version(registry, "faces").ok


def test_dvc_add_of_the_checked_out_folder_records_the_same_md5(certified_tree, tmp_path: Path) -> None:
    """The identity datavet computes is the one `dvc add` computes for the same folder."""
    project, _ = certified_tree
    files = open_certified("faces", settings=project.settings, into=tmp_path / "checkout")
    repo = tmp_path / "repo"
    shutil.copytree(files.folder, repo / "tree")
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run([sys.executable, "-m", "dvc", "init", "-q"], cwd=repo, check=True)
    subprocess.run([sys.executable, "-m", "dvc", "add", "-q", "tree"], cwd=repo, check=True)
    recorded = yaml.safe_load((repo / "tree.dvc").read_text())["outs"][0]
    assert recorded["md5"] == files.md5 == _cert(project).md5


def test_open_certified_gives_exactly_the_files_and_their_labels(certified_tree, tmp_path: Path) -> None:
    project, tree = certified_tree
    files = open_certified("faces", settings=project.settings, into=tmp_path / "checkout")
    on_disk = {p.relative_to(files.root).as_posix() for p in files.root.rglob("*") if p.is_file()}
    assert on_disk == set(tree.files)
    pairs = list(files)
    assert len(pairs) == len(files) == len(tree.files)
    for path, labels in pairs:
        rel = path.relative_to(files.root).as_posix()
        assert path.read_bytes() == tree.files[rel]
        age, gender, race, _ = path.name.split("_")
        assert (labels["age"], labels["gender"], labels["race"]) == (age, gender, race)
        assert labels["quality"] == tree.manifest.get(rel)
    table = load_certified("faces", settings=project.settings)
    pd.testing.assert_frame_equal(table, files.table, check_like=False)
    again = open_certified("faces", settings=project.settings, into=tmp_path / "checkout")  # re-verified, reused
    assert again.folder == files.folder


def test_open_certified_refuses_a_checkout_whose_bytes_changed(certified_tree, tmp_path: Path) -> None:
    project, _ = certified_tree
    files = open_certified("faces", settings=project.settings, into=tmp_path / "checkout")
    victim = sorted(files.root.rglob("*.png"))[0]
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0x01
    victim.write_bytes(bytes(data))
    rel = victim.relative_to(files.folder).as_posix()
    with pytest.raises(NotCertifiedError, match=rf"{rel} in .* hashes to"):
        open_certified("faces", settings=project.settings, into=tmp_path / "checkout")
    (files.root / "extra.jpg").write_bytes(b"x")
    with pytest.raises(NotCertifiedError, match="holds 1 file"):
        open_certified("faces", settings=project.settings, into=tmp_path / "checkout")


def test_one_flipped_byte_in_one_cached_image_is_named(tree_copy, tmp_path: Path) -> None:
    project, _ = tree_copy
    registry = project.registry
    cert = _cert(project)
    entry = next(e for e in registry.tree_entries(cert.md5) if e.relpath.endswith("_005.jpg"))
    obj = registry.cache_path(entry.md5)
    data = bytearray(obj.read_bytes())
    data[len(data) // 2] ^= 0x01
    obj.chmod(0o644)
    obj.write_bytes(bytes(data))
    result = verify_version(registry, "faces")
    assert not result.ok
    assert any(entry.relpath in p and "DVC cache" in p for p in result.problems), result.problems
    proc = project.cli("verify", str(project.spec_path))
    assert proc.returncode == 1 and entry.relpath in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    with pytest.raises(NotCertifiedError, match=entry.relpath):
        open_certified("faces", settings=project.settings, into=tmp_path / "fresh")
    assert not (tmp_path / "fresh").exists(), "a refused checkout leaves nothing behind"


def test_one_flipped_byte_in_the_remote_is_named(tree_copy) -> None:
    project, _ = tree_copy
    registry = project.registry
    cert = _cert(project)
    entry = next(e for e in registry.tree_entries(cert.md5) if e.relpath.endswith(".png"))
    obj = registry.remote_object(entry.md5)
    assert obj is not None
    obj.chmod(0o644)
    obj.write_bytes(obj.read_bytes()[:-1] + bytes([obj.read_bytes()[-1] ^ 0xFF]))
    problems = verify_version(registry, "faces").problems
    assert any(entry.relpath in p and "DVC remote" in p for p in problems), problems


def test_second_version_shares_unchanged_files_and_keeps_history(tree_copy) -> None:
    """Adding one image: only it, the table, integrity.json and the listing are new objects in the
    remote; both versions stay loadable, and the datasheet's changes section counts one new row."""
    from datavet.pipeline import run_all
    from datavet.registry.history import certified_versions

    project, tree = tree_copy
    remote = Path(project.settings.remote)
    before = {p for p in remote.rglob("*") if p.is_file()}
    tree.write("faces/45_0_3_950.jpg", image_bytes(950, "JPEG", (10, 10)))
    _, cert, created = run_all(project.loaded(), project.settings)
    assert created and cert is not None and cert.tag == "faces/certified/2"
    added = {p for p in remote.rglob("*") if p.is_file()} - before
    assert len(added) == 4, sorted(str(p) for p in added)
    assert dvctree.object_path(remote, cert.md5) in added
    history = certified_versions(project.loaded(), project.settings)
    assert [h["rows"] for h in history] == [len(tree.files) - 1, len(tree.files)]
    assert len(load_certified("faces", 1, settings=project.settings)) == len(tree.files) - 1
    assert len(load_certified("faces", settings=project.settings)) == len(tree.files)
    sheet = json.loads((project.registry.datasheet_dir("faces") / "datasheet.json").read_text())
    assert sheet["changes"]["rows_added"] == 1 and sheet["changes"]["rows_removed"] == 0
    assert verify_version(project.registry, "faces", 1).ok and verify_version(project.registry, "faces").ok
