"""The files source on a generated tree: labels from the paths, the manifest join, file facts, and
the integrity figures (missing, unlisted, unreadable, duplicate files), each computed independently
from what the fixture wrote; facts are computed once per content."""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from datavet.fsutil import file_md5
from datavet.registry import dvctree
from datavet.sources import source_for
from datavet.sources.files import INTEGRITY_FILE, FilesSource
from tests.files.conftest import make_tree, new_files_project


@pytest.fixture
def materialised(tmp_path: Path):
    project, tree = new_files_project(tmp_path)
    source = source_for(project.loaded(), project.settings)
    assert isinstance(source, FilesSource)
    return project, tree, source, source.materialise(tmp_path / "staging")


def test_table_has_one_row_per_present_file_with_path_labels_and_facts(materialised) -> None:
    _, tree, source, version = materialised
    table = pd.read_parquet(version.table)
    present = sorted(tree.files)
    assert table["file"].tolist() == present and version.rows == len(present)
    assert list(table.columns) == source.columns()
    for rel, row in zip(table["file"], table.itertuples(index=False), strict=True):
        age, gender, race, _ = Path(rel).name.split("_")  # independent of the regex
        assert (row.age, row.gender, row.race) == (age, gender, race)
        assert row.file_bytes == len(tree.files[rel])
        assert row.file_md5 == hashlib.md5(tree.files[rel]).hexdigest()
        assert row.quality == tree.manifest.get(rel, None) or (pd.isna(row.quality) and rel not in tree.manifest)
        if rel in tree.sizes:
            assert (row.image_width, row.image_height) == tree.sizes[rel]
        else:
            assert pd.isna(row.image_width) and pd.isna(row.image_height)
    formats = dict(zip(table["file"], table["file_format"], strict=True))
    assert formats["faces/50_1_3_902.png"] == "empty" and formats["faces/61_0_4_903.jpg"] == "text"
    assert formats["faces/33_0_1_901.jpg"] == "jpeg"  # the bytes start as a JPEG; it does not decode
    race_counts = Counter(Path(r).name.split("_")[2] for r in present)
    assert table["race"].value_counts().to_dict() == dict(race_counts)


def test_integrity_counts_and_samples(materialised) -> None:
    _, tree, _, version = materialised
    facts = json.loads((version.path / INTEGRITY_FILE).read_text())
    assert facts == version.integrity
    missing = sorted(set(tree.manifest) - set(tree.files))
    unlisted = sorted(set(tree.files) - set(tree.manifest))
    assert (facts["missing_files"], facts["samples"]["missing"]) == (len(missing), missing) == (2, missing)
    assert (facts["unlisted_files"], facts["samples"]["unlisted"]) == (1, unlisted)
    unreadable = {u["file"]: u["problem"] for u in facts["samples"]["unreadable"]}
    assert set(unreadable) == {"faces/33_0_1_901.jpg", "faces/50_1_3_902.png", "faces/61_0_4_903.jpg"}
    assert facts["unreadable_files"] == 3
    assert "empty" in unreadable["faces/50_1_3_902.png"] and "text" in unreadable["faces/61_0_4_903.jpg"]
    assert "decode" in unreadable["faces/33_0_1_901.jpg"]
    by_md5: dict[str, list[str]] = {}
    for rel in sorted(tree.files):
        by_md5.setdefault(hashlib.md5(tree.files[rel]).hexdigest(), []).append(rel)
    dupes = [{"file": rel, "same_as": group[0]} for group in by_md5.values() for rel in group[1:]]
    assert facts["duplicate_files"] == len(dupes) == 1 and facts["samples"]["duplicate"] == dupes
    assert facts["files"] == len(tree.files) and facts["bytes"] == sum(len(b) for b in tree.files.values())
    assert facts["manifest_rows"] == len(tree.manifest) and facts["unmatched_path_labels"] == 0
    sizes = Counter(f"{w}x{h}" for w, h in tree.sizes.values())
    assert facts["image_sizes"] == dict(sizes)
    ext_formats = Counter("png" if r.endswith(".png") else "jpeg" for r in tree.sizes)
    ext_formats.update({"empty": 1, "text": 1, "jpeg": 1})  # the zero-byte, text and truncated files
    assert facts["formats"] == dict(ext_formats)


def test_the_tree_md5_is_what_dvc_computes_for_the_folder(materialised) -> None:
    """The version's identity is DVC's own: the .dir md5 of the staged folder, hashed independently."""
    _, _, _, version = materialised
    listing = sorted(({"md5": hashlib.md5(p.read_bytes()).hexdigest(), "relpath": p.relative_to(version.path)
                       .as_posix()} for p in version.path.rglob("*") if p.is_file()), key=lambda d: d["relpath"])
    assert version.md5 == hashlib.md5(json.dumps(listing, sort_keys=True).encode()).hexdigest() + ".dir"
    assert version.md5 == dvctree.tree_md5(dvctree.entries_of(version.path))


def test_same_tree_same_md5_and_facts_are_computed_once_per_content(tmp_path: Path) -> None:
    """A second version adding one file decodes only that file, and its md5 differs; the first
    version's bytes give the same md5 again (deterministic)."""
    from datavet.pipeline import version

    project, tree = new_files_project(tmp_path)
    first = version(project.loaded(), project.settings)
    source = source_for(project.loaded(), project.settings)
    again = source.materialise(tmp_path / "again")
    assert again.md5 == first.md5
    assert (source.counts.hashed, source.counts.decoded) == (0, 0)  # state and content both known
    from tests.files.conftest import image_bytes

    tree.write("faces/45_0_3_950.jpg", image_bytes(950, "JPEG", (10, 10)))
    source = source_for(project.loaded(), project.settings)
    second = source.materialise(tmp_path / "second")
    assert second.md5 != first.md5 and second.rows == first.rows + 1
    assert (source.counts.hashed, source.counts.decoded) == (1, 1)


def test_a_file_rewritten_in_place_with_its_size_and_mtime_put_back_is_read_again(tmp_path: Path) -> None:
    """Remembered by device, inode, size, mtime and ctime: ``touch -d`` restores the mtime, never the
    ctime, so new bytes behind an old state are read, and the version names them."""
    import time

    from datavet.pipeline import version

    project, tree = new_files_project(tmp_path)
    time.sleep(0.05)  # files written just now are not remembered (datavet.sources.file_state)
    first = version(project.loaded(), project.settings)
    rel = sorted(tree.files)[0]
    path = tree.root / rel
    before = path.stat()
    data = bytearray(path.read_bytes())
    data[-3] ^= 0xFF
    with open(path, "r+b") as fh:  # in place: same inode and size
        fh.write(data)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (before.st_ino, before.st_size, before.st_mtime_ns)
    source = source_for(project.loaded(), project.settings)
    again = source.materialise(tmp_path / "again")
    assert source.counts.hashed == 1 and again.md5 != first.md5
    assert dict((e.relpath, e.md5) for e in again.entries)[f"files/{rel}"] == hashlib.md5(bytes(data)).hexdigest()


def test_make_tree_is_deterministic(tmp_path: Path) -> None:
    assert make_tree(tmp_path / "a").files == make_tree(tmp_path / "b").files


def test_caches_that_lost_an_object_or_the_facts_are_refilled(tmp_path: Path) -> None:
    """The state cache says a file's md5, but its DVC cache object is gone (``dvc gc``): the file is
    read and staged again and the version is the same. The facts cache is emptied: facts are
    decoded again from the cached objects, nothing is re-read from the source."""
    import sqlite3

    from datavet.pipeline import version

    project, tree = new_files_project(tmp_path)
    first = version(project.loaded(), project.settings)
    registry = project.registry
    entries = registry.tree_entries(first.md5)
    gone = next(e for e in entries if e.relpath.startswith("files/"))
    registry.cache_path(gone.md5).unlink()
    source = source_for(project.loaded(), project.settings)
    again = source.materialise(tmp_path / "again")
    assert again.md5 == first.md5 and gone.relpath in again.staged
    assert source.counts.hashed == sum(e.md5 == gone.md5 for e in entries if e.relpath.startswith("files/"))
    assert (tmp_path / "again" / gone.relpath).read_bytes() == tree.files[gone.relpath.removeprefix("files/")]
    registry.cache_tree(tmp_path / "again", again.entries, again.staged)
    assert file_md5(registry.cache_path(gone.md5)) == gone.md5

    with sqlite3.connect(project.settings.home / "cache" / "file-facts.sqlite") as db:
        db.execute("DELETE FROM facts")
    source = source_for(project.loaded(), project.settings)
    third = source.materialise(tmp_path / "third")
    assert third.md5 == first.md5 and third.integrity == cached_integrity(registry, first.md5)
    assert source.counts.hashed == 0 and source.counts.decoded == len({e.md5 for e in entries
                                                                        if e.relpath.startswith("files/")})


def cached_integrity(registry, md5: str) -> dict:
    """The integrity.json of a cached tree version."""
    entry = next(e for e in registry.tree_entries(md5) if e.relpath == INTEGRITY_FILE)
    return json.loads(registry.cache_path(entry.md5).read_bytes())
