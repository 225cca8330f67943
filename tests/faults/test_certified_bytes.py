"""Issue 20: never certify bytes not hashed in this run. A tree's cached objects are re-hashed before
they are pushed (a damaged one refuses certification, naming the file); the push re-hashes what the
remote already held; with the cache gone and the remote's copy damaged, the messages name the dataset
and do not send anyone to fetch the damaged copy again."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from datavet.errors import DataError
from datavet.pipeline import run_all
from datavet.registry.verify import verify_version
from tests.faults.conftest import FaultProject, write_titanic
from tests.files.conftest import certified_tree, image_bytes, tree_copy  # noqa: F401 (fixtures)


def flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.chmod(0o644)
    path.write_bytes(bytes(data))


def test_a_damaged_cached_image_refuses_certification_naming_it(tree_copy) -> None:  # noqa: F811
    """The issue's case: one cached image flipped (same size), its remote copy deleted, one image added."""
    project, tree = tree_copy
    registry = project.registry
    md5 = registry.recorded_md5("faces")
    entry = next(e for e in registry.tree_entries(md5) if e.relpath.endswith("_005.jpg"))
    cached, remote = registry.cache_path(entry.md5), registry.remote_object(entry.md5)
    assert remote is not None
    flip(cached)
    damaged = hashlib.md5(cached.read_bytes()).hexdigest()
    remote.unlink()
    tree.write("faces/45_0_3_950.jpg", image_bytes(950, "JPEG", (10, 10)))
    out = project.cli("certify", str(project.spec_path))
    assert out.returncode == 2 and "Traceback" not in out.stderr, out.stdout + out.stderr
    assert "refusing to certify" in out.stderr and "dataset 'faces'" in out.stderr
    assert entry.relpath in out.stderr and damaged in out.stderr and entry.md5 in out.stderr
    assert registry.certified_tags("faces") == ["faces/certified/1"]
    assert not remote.exists()  # nothing was pushed
    cached.unlink()  # the fix the message gives: the version stage reads the file from the source again
    out = project.cli("certify", str(project.spec_path))
    assert out.returncode == 0, out.stdout + out.stderr
    assert hashlib.md5(remote.read_bytes()).hexdigest() == entry.md5  # the source's bytes, not the damaged ones
    assert verify_version(registry, "faces").ok


def test_the_push_replaces_a_damaged_remote_object(project: FaultProject) -> None:
    """An object the remote already holds with other bytes is not taken as pushed."""
    registry = project.registry
    write_titanic(project.source)
    from datavet.pipeline import document, validate, version

    loaded = project.loaded()
    info = version(loaded, project.settings)
    validate(loaded, project.settings, info.md5)
    document(loaded, project.settings, info.md5)
    remote = registry.remote_object(info.md5)
    assert remote is not None
    remote.parent.mkdir(parents=True, exist_ok=True)
    remote.write_bytes(b"\0" * registry.cache_path(info.md5).stat().st_size)  # same size, other bytes
    _, cert, created = run_all(loaded, project.settings)
    assert created
    assert hashlib.md5(remote.read_bytes()).hexdigest() == info.md5
    assert hashlib.sha256(remote.read_bytes()).hexdigest() == cert.sha256
    assert verify_version(registry, "titanic").ok


@pytest.fixture
def cache_gone_remote_damaged(project: FaultProject) -> FaultProject:
    registry = project.registry
    md5 = registry.recorded_md5("titanic")
    remote = registry.remote_object(md5)
    assert remote is not None
    flip(remote)
    for obj in (registry.cache_dir / "files").rglob("*"):
        if obj.is_file():
            obj.unlink()
    return project


def test_cache_gone_remote_damaged_the_same_source_heals_both(cache_gone_remote_damaged: FaultProject) -> None:
    project = cache_gone_remote_damaged
    registry = project.registry
    md5 = registry.recorded_md5("titanic")
    assert not verify_version(registry, "titanic").ok
    out = project.cli("certify", str(project.spec_path))
    assert out.returncode == 0 and "already certified" in out.stdout, out.stdout + out.stderr
    assert hashlib.md5(registry.remote_object(md5).read_bytes()).hexdigest() == md5  # type: ignore[union-attr]
    assert registry.certified_tags("titanic") == ["titanic/certified/1"]
    assert verify_version(registry, "titanic").ok


def test_cache_gone_remote_damaged_a_new_version_names_the_dataset(cache_gone_remote_damaged: FaultProject) -> None:
    project = cache_gone_remote_damaged
    write_titanic(project.source)  # all 891 passengers: the datasheet compares with the damaged version
    with pytest.raises(DataError) as err:
        run_all(project.loaded(), project.settings)
    text = str(err.value)
    assert err.value.dataset == "titanic" and "DVC remote's copy" in text and "damaged" in text, text
    assert "dvc fetch" not in text and "dvc pull" not in text, text
    out = project.cli("certify", str(project.spec_path))
    assert out.returncode == 2 and "dataset 'titanic'" in out.stderr and "Traceback" not in out.stderr, out.stderr


def test_a_tree_has_a_sha256_identity_of_its_files(certified_tree) -> None:  # noqa: F811
    """The tree's sha256: of its listing of each file's sha256 (as README says), computed here with hashlib."""
    import json

    from datavet.registry.certificate import Certificate

    project, tree = certified_tree
    registry = project.registry
    md5 = registry.recorded_md5("faces")
    cert = Certificate.from_path(registry.certificate_path("faces", md5))
    entries = registry.tree_entries(md5)
    files = {e.relpath: hashlib.sha256(registry.remote_object(e.md5).read_bytes()).hexdigest()  # type: ignore[union-attr]
             for e in entries}
    for rel, data in tree.files.items():  # the images are the source's bytes
        assert any(files[e.relpath] == hashlib.sha256(data).hexdigest() for e in entries if e.relpath.endswith(rel))
    listing = [{"relpath": rel, "sha256": files[rel]} for rel in sorted(files)]
    assert cert.sha256 == hashlib.sha256(json.dumps(listing, sort_keys=True).encode()).hexdigest()
    statement = json.loads(registry.statement_path("faces", md5).read_bytes())
    assert statement["subject"][0]["digest"] == {"sha256": cert.sha256, "md5": md5.removesuffix(".dir")}
    assert statement["subject"][0]["annotations"]["dvc_md5"] == md5
