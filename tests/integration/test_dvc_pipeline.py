"""The repository's dvc.yaml runs as a real DVC pipeline (`dvc repro`), and its metrics compare."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, SHARED_DATA

pytestmark = pytest.mark.integration


def test_dvc_repro_runs_the_check_stage(tmp_path):
    project = tmp_path / "main"
    project.mkdir()
    (tmp_path / "shared").symlink_to(SHARED_DATA.parent)  # the same ../shared layout as the repository
    files = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout.split()
    for rel in files:
        if rel.startswith(("datasheets/", "expectations/", "gx/")) or rel == "dvc.yaml":
            (project / rel).parent.mkdir(parents=True, exist_ok=True)
            (project / rel).write_bytes((REPO / rel).read_bytes())
    env = {**os.environ, "DATAVET_PROJECT": str(project), "DATAVET_HOME": str(project / ".datavet"),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", "DVC_NO_ANALYTICS": "1"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(list(args), cwd=project, env=env, capture_output=True, text=True, timeout=300)

    assert run("git", "init", "-q").returncode == 0
    assert run(sys.executable, "-m", "dvc", "init", "-q").returncode == 0
    stages = run(sys.executable, "-m", "dvc", "stage", "list").stdout
    assert {"check@adult", "datasheet@adult", "certify@adult"} <= {line.split()[0] for line in stages.splitlines()}
    repro = run(sys.executable, "-m", "dvc", "repro", "check@adult")
    assert repro.returncode == 0, repro.stdout + repro.stderr
    metrics = json.loads((project / "reports/adult/metrics.json").read_text())
    assert metrics["rows"] == 32561
    shown = run(sys.executable, "-m", "dvc", "metrics", "show", "--json")
    assert '"rows": 32561' in shown.stdout
    again = run(sys.executable, "-m", "dvc", "repro", "check@adult")
    assert "didn't change, skipping" in again.stdout  # deps unchanged: nothing re-runs
