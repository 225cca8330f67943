"""Fixtures for the fault tests: a small real dataset (Titanic) certified once per session into a real
git + DVC registry, copied per test so that each test can break its own copy.

``registry_snapshot`` is what every fault test compares before and after a failed run: a failure
must leave tags, commits, tracked files, the remote and the checked-out data exactly as they were.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from datavet.ingest import file_md5
from datavet.registry import Registry
from datavet.settings import Settings
from datavet.spec import LoadedSpec, load_spec
from tests.conftest import SHARED_DATA
from tests.datasheet.conftest import full_answers, titanic_spec

TITANIC = SHARED_DATA / "titanic_train.csv"
DATAVET = str(Path(sys.executable).parent / "datavet")
BASE_ROWS = 700  # the certified version holds the first 700 passengers; tests certify all 891 as "new"


def write_titanic(dest: Path, rows: int | None = None) -> Path:
    """The real Titanic CSV, cut to its first ``rows`` passengers (no quoted newlines in this file)."""
    lines = TITANIC.read_text(encoding="utf-8").splitlines(keepends=True)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text("".join(lines[: None if rows is None else rows + 1]), encoding="utf-8")
    return dest


@dataclass(frozen=True)
class FaultProject:
    """A throw-away datavet project whose state lives entirely under ``root`` (env vars ignored)."""

    root: Path
    name: str = "titanic"

    @property
    def spec_path(self) -> Path:
        return self.root / "datasheets" / self.name / "dataset.yaml"

    @property
    def source(self) -> Path:
        return self.root / "source" / "titanic.csv"

    @property
    def settings(self) -> Settings:
        home = self.root / ".datavet"
        return Settings(project=self.root, registry=home / "registry", remote=str(home / "remote"),
                        gx_root=self.root / "gx")

    @property
    def registry(self) -> Registry:
        return Registry.of(self.settings)  # with the trusted signers of this project's home

    def loaded(self) -> LoadedSpec:
        return load_spec(self.spec_path)

    def write_spec(self, spec: dict[str, Any]) -> Path:
        self.spec_path.parent.mkdir(parents=True, exist_ok=True)
        self.spec_path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
        return self.spec_path

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DATAVET")}
        env.update(DATAVET_PROJECT=str(self.root), DATAVET_HOME=str(self.root / ".datavet"), **extra)
        return env

    def cli(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([DATAVET, *args], cwd=self.root, env=self.env(**env), capture_output=True, text=True,
                              timeout=300)


def base_spec() -> dict[str, Any]:
    """Titanic with a protected column Sex; the source path is relative, so copied projects read their own."""
    return titanic_spec(Path("source/titanic.csv"), datasheet="datasheets/titanic/answers.yaml")


def new_project(root: Path, spec: dict[str, Any] | None = None, rows: int | None = BASE_ROWS) -> FaultProject:
    project = FaultProject(root)
    write_titanic(project.source, rows)
    project.write_spec(spec or base_spec())
    (project.spec_path.parent / "answers.yaml").write_text(yaml.safe_dump(full_answers(project.name)),
                                                           encoding="utf-8")
    (root / "expectations").mkdir(exist_ok=True)
    return project


@pytest.fixture(scope="session")
def certified_base(tmp_path_factory: pytest.TempPathFactory) -> FaultProject:
    """Titanic (first 700 rows) certified once as titanic/certified/1; never modified by tests."""
    from datavet.pipeline import run_all

    project = new_project(tmp_path_factory.mktemp("faults") / "base")
    _, cert, created = run_all(project.loaded(), project.settings)
    assert created and cert is not None and cert.tag == "titanic/certified/1"
    return project


@pytest.fixture
def project(certified_base: FaultProject, tmp_path: Path) -> FaultProject:
    """A private copy of the certified project (registry, cache, remote, GX store) to break; the
    registry keeps its DVC remote relative, so the copy pushes to its own remote."""
    copy = FaultProject(tmp_path / "project")
    shutil.copytree(certified_base.root, copy.root, symlinks=True)
    return copy


def registry_snapshot(registry: Registry) -> dict[str, Any]:
    """Everything a failed run must leave untouched: tags, HEAD, the committed tree, tracked-file and
    stray-file status, the remote's objects and the checked-out data (by hash)."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=registry.root, capture_output=True, text=True,
                              check=True).stdout

    tags = {line.split()[1]: line.split()[0] for line in
            git("for-each-ref", "--format=%(objectname) %(refname:short)", "refs/tags").splitlines()}
    tree = dict(line.split("\t", 1)[::-1] for line in git("ls-tree", "-r", "HEAD").splitlines())
    remote = Path(registry.remote)
    return {
        "head": git("rev-parse", "HEAD").strip(),
        "tags": tags,
        "tree": {path: meta.split()[2] for path, meta in tree.items()},
        "tracked_status": git("status", "--porcelain", "--untracked-files=no"),
        "untracked": git("status", "--porcelain", "--untracked-files=all"),
        "index_lock": (registry.root / ".git" / "index.lock").exists(),
        "remote": {p.relative_to(remote).as_posix(): file_md5(p) for p in sorted(remote.rglob("*")) if p.is_file()}
        if remote.is_dir() else None,
        "data": {p.relative_to(registry.root).as_posix(): file_md5(p)
                 for p in sorted((registry.root / "data").rglob("*.parquet"))},
    }
