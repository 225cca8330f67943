"""A generated tree of small real images (Pillow) with labels in the file names (UTKFace style:
``<age>_<gender>_<race>_<n>.jpg``), a manifest, and the flaws a file dataset has: a file without a
manifest row, manifest rows without a file, a duplicate, a truncated JPEG, a zero-byte PNG and a text
file named like an image. ``Tree`` records what was written, so tests compute figures independently."""

from __future__ import annotations

import io
import os
import random
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from PIL import Image

from datavet.registry import Registry
from datavet.settings import Settings
from datavet.spec import LoadedSpec, load_spec
from tests.datasheet.conftest import full_answers

DATAVET = str(Path(sys.executable).parent / "datavet")
PATH_REGEX = r"(?P<age>\d+)_(?P<gender>[01])_(?P<race>[0-4])_[^/]*$"


def image_bytes(seed: int, fmt: str, size: tuple[int, int]) -> bytes:
    """A small real image whose pixels depend on ``seed`` (so different seeds give different bytes)."""
    rng = random.Random(seed)
    img = Image.new("RGB", size)
    img.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(size[0] * size[1])])
    out = io.BytesIO()
    img.save(out, format=fmt)
    return out.getvalue()


@dataclass
class Tree:
    root: Path  # source.files.root
    files: dict[str, bytes] = field(default_factory=dict)  # relpath -> bytes written
    manifest: dict[str, str] = field(default_factory=dict)  # relpath -> quality label (may name absent files)
    sizes: dict[str, tuple[int, int]] = field(default_factory=dict)  # decodable images only

    def write(self, rel: str, data: bytes) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.files[rel] = data

    def write_manifest(self, path: Path) -> Path:
        path.write_text("path,quality\n" + "".join(f"{rel},{q}\n" for rel, q in self.manifest.items()))
        return path


def make_tree(root: Path, n_good: int = 24) -> Tree:
    tree = Tree(root)
    for i in range(n_good):
        age, gender, race = 18 + (i * 7) % 60, i % 2, i % 5 if i % 3 else 0
        fmt, ext = ("PNG", "png") if i % 4 == 0 else ("JPEG", "jpg")
        size = (8 + i % 3, 6 + i % 2)
        rel = f"faces/{age}_{gender}_{race}_{i:03d}.{ext}"
        tree.write(rel, image_bytes(i, fmt, size))
        tree.sizes[rel] = size
        tree.manifest[rel] = "good" if i % 2 else "fair"
    first_jpeg = next(r for r in tree.files if r.endswith(".jpg"))
    tree.write("faces/40_1_2_900.jpg", tree.files[first_jpeg])  # duplicate bytes
    tree.sizes["faces/40_1_2_900.jpg"] = tree.sizes[first_jpeg]
    tree.manifest["faces/40_1_2_900.jpg"] = "good"
    jpeg = image_bytes(901, "JPEG", (32, 32))
    tree.write("faces/33_0_1_901.jpg", jpeg[: len(jpeg) // 2])  # truncated JPEG
    tree.manifest["faces/33_0_1_901.jpg"] = "good"
    tree.write("faces/50_1_3_902.png", b"")  # zero bytes
    tree.manifest["faces/50_1_3_902.png"] = "good"
    tree.write("faces/61_0_4_903.jpg", b"this is a text file, not a JPEG\n")  # text named .jpg
    tree.manifest["faces/61_0_4_903.jpg"] = "fair"
    tree.write("faces/22_1_0_904.jpg", image_bytes(904, "JPEG", (9, 7)))  # unlisted
    tree.sizes["faces/22_1_0_904.jpg"] = (9, 7)
    tree.manifest["faces/70_0_1_905.jpg"] = "good"  # listed, absent
    tree.manifest["faces/71_1_2_906.jpg"] = "fair"  # listed, absent
    return tree


def tree_spec(name: str, root: Path, manifest: Path | None, **overrides: Any) -> dict[str, Any]:
    source: dict[str, Any] = {"files": {"root": str(root), "include": ["faces/*.jpg", "faces/*.png"]},
                              "labels_from_path": PATH_REGEX}
    if manifest is not None:
        source["manifest"] = {"path": str(manifest), "file_column": "path"}
    spec = {"name": name, "title": "Generated faces", "owner": "qa@example.org", "license": "CC0-1.0",
            "source": source, "columns": {"gender": {"role": "protected"}, "race": {"role": "protected"}},
            "checks": {"representation": [{"column": "race"}]}}
    spec.update(overrides)
    return spec


@dataclass(frozen=True)
class FilesProject:
    root: Path
    name: str = "faces"

    @property
    def spec_path(self) -> Path:
        return self.root / "datasheets" / self.name / "dataset.yaml"

    @property
    def settings(self) -> Settings:
        home = self.root / ".datavet"
        return Settings(project=self.root, home=home, registry=home / "registry", remote=str(home / "remote"),
                        gx_root=self.root / "gx")

    @property
    def registry(self) -> Registry:
        return Registry.of(self.settings)  # with the trusted signers of this project's home

    def loaded(self) -> LoadedSpec:
        return load_spec(self.spec_path)

    def write_spec(self, spec: dict[str, Any]) -> LoadedSpec:
        self.spec_path.parent.mkdir(parents=True, exist_ok=True)
        self.spec_path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
        (self.spec_path.parent / "answers.yaml").write_text(yaml.safe_dump(full_answers(self.name)))
        (self.root / "expectations").mkdir(exist_ok=True)
        return self.loaded()

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DATAVET")}
        env.update(DATAVET_PROJECT=str(self.root), DATAVET_HOME=str(self.root / ".datavet"))
        return subprocess.run([DATAVET, *args], cwd=self.root, env=env, capture_output=True, text=True, timeout=300)


def new_files_project(root: Path, **overrides: Any) -> tuple[FilesProject, Tree]:
    tree = make_tree(root / "source")
    manifest = tree.write_manifest(root / "labels.csv")
    project = FilesProject(root / "project")
    project.write_spec(tree_spec(project.name, tree.root, manifest, **overrides))
    return project, tree


@pytest.fixture(scope="session")
def certified_tree(tmp_path_factory: pytest.TempPathFactory) -> tuple[FilesProject, Tree]:
    """The generated tree certified once (files check as warnings); tests copy it before breaking it."""
    from datavet.pipeline import run_all

    project, tree = new_files_project(tmp_path_factory.mktemp("tree"))
    _, cert, created = run_all(project.loaded(), project.settings)
    assert created and cert is not None and cert.tag == "faces/certified/1"
    return project, tree


@pytest.fixture
def tree_copy(certified_tree: tuple[FilesProject, Tree], tmp_path: Path) -> tuple[FilesProject, Tree]:
    project, tree = certified_tree
    shutil.copytree(project.root.parent, tmp_path / "copy", symlinks=True)
    copy = FilesProject(tmp_path / "copy" / "project")
    spec = yaml.safe_load(copy.spec_path.read_text())
    spec["source"]["files"]["root"] = str(tmp_path / "copy" / "source")
    spec["source"]["manifest"]["path"] = str(tmp_path / "copy" / "labels.csv")
    copy.write_spec(spec)
    return copy, Tree(tmp_path / "copy" / "source", dict(tree.files), dict(tree.manifest), dict(tree.sizes))
