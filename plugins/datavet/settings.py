"""Where datavet keeps its state. Embedded defaults live under ``<project>/.datavet``; every path can
be overridden by an environment variable so that tests and deployments point elsewhere."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def find_project_root(start: Path | None = None) -> Path:
    """The nearest ancestor holding ``datasheets/`` or ``pyproject.toml`` (or $DATAVET_PROJECT)."""
    env = os.environ.get("DATAVET_PROJECT")
    if env:
        return Path(env).resolve()
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "datasheets").is_dir() or (candidate / "pyproject.toml").is_file():
            return candidate
    return here


@dataclass(frozen=True)
class Settings:
    project: Path
    registry: Path
    remote: str
    gx_root: Path

    @classmethod
    def from_env(cls, project: Path | None = None) -> Settings:
        project = (project or find_project_root()).resolve()
        # Absolute paths only: Airflow workers, the CLI and DVC (which stores a relative remote URL
        # relative to .dvc/config) run from different working directories.
        home = Path(os.environ.get("DATAVET_HOME", project / ".datavet")).resolve()
        remote = os.environ.get("DATAVET_REMOTE", str(home / "remote"))
        return cls(
            project=project,
            registry=Path(os.environ.get("DATAVET_REGISTRY", home / "registry")).resolve(),
            remote=remote if "://" in remote else str(Path(remote).resolve()),
            gx_root=Path(os.environ.get("DATAVET_GX_ROOT", project / "gx")).resolve(),
        )

    @property
    def expectations_dir(self) -> Path:
        return self.project / "expectations"
