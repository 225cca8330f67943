"""The datasheet of a tree version: the composition of its files and the integrity figures, equal to
independent counts of what the fixture wrote; and no file content (image, thumbnail, encoded bytes)
in any document."""

from __future__ import annotations

import base64
import hashlib
import json
from collections import Counter

from tests.files.conftest import FilesProject, Tree


def test_files_section_matches_the_tree(certified_tree: tuple[FilesProject, Tree]) -> None:
    project, tree = certified_tree
    folder = project.registry.datasheet_dir("faces")
    files = json.loads((folder / "datasheet.json").read_text())["computed"]["files"]
    digests = Counter(hashlib.md5(b).hexdigest() for b in tree.files.values())
    assert files["files"] == len(tree.files) and files["bytes"] == sum(len(b) for b in tree.files.values())
    assert files["manifest_rows"] == len(tree.manifest)
    assert files["missing_files"] == len(set(tree.manifest) - set(tree.files))
    assert files["unlisted_files"] == len(set(tree.files) - set(tree.manifest))
    assert files["duplicate_files"] == sum(n - 1 for n in digests.values())
    assert files["unreadable_files"] == 3  # truncated JPEG, zero-byte PNG, text named .jpg (see conftest)
    sizes = Counter(f"{w}x{h}" for w, h in tree.sizes.values())
    assert {s["size"]: s["files"] for s in files["image_sizes"]} == dict(sizes)
    assert files["distinct_image_sizes"] == len(sizes)
    md = (folder / "datasheet.md").read_text()
    assert f"{len(tree.files):,} files" in md and "| manifest rows whose file is missing | 2 |" in md
    html = (folder / "datasheet.html").read_text()
    assert 'id="fig-files"' in html and "duplicate files (same bytes)" in html


def test_no_file_content_in_any_document(certified_tree: tuple[FilesProject, Tree]) -> None:
    """Faces are personal data: no document carries an image, a thumbnail or a file's bytes."""
    project, tree = certified_tree
    registry = project.registry
    documents = [*registry.datasheet_dir("faces").iterdir(), *registry.root.joinpath("validations").rglob("*.json"),
                 *registry.root.joinpath("certificates").rglob("*.json"), registry.metrics_path("faces")]
    for doc in documents:
        data = doc.read_bytes()
        assert b"<img" not in data and b"data:image" not in data, doc
        for signature in (b"\xff\xd8\xff", b"\x89PNG"):
            assert signature not in data, doc
        for content in tree.files.values():
            if len(content) >= 32:
                assert base64.b64encode(content[:24]) not in data, doc
