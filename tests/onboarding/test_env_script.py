"""``source scripts/env.sh`` in a user's shell sets variables only: the shell's options stay as they
were (a later failing command does not close the terminal). The scripts that source it still stop
at the first error on their own.

Each test runs the real scripts in a copy of the project whose ``.venv`` is already "installed"
(its python is this interpreter and the install stamp matches), so nothing is installed."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "scripts").mkdir()
    for name in ("env.sh", "test.sh", "demo.sh"):
        shutil.copy(REPO / "scripts" / name, tmp_path / "scripts" / name)
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "python").symlink_to(sys.executable)
    stamp = hashlib.sha256((tmp_path / "pyproject.toml").read_bytes()).hexdigest()[:16]
    (tmp_path / ".venv" / f".datavet-installed-{stamp}").touch()
    return tmp_path


def _env(project: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATAVET", "AIRFLOW"))}
    env["HOME"] = str(project)
    return {**env, **extra}


def test_sourcing_env_leaves_the_callers_options_and_directory_alone(project, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    script = (f'source "{project}/scripts/env.sh"; echo "rc=$?"; echo "opts=$-"; '
              'shopt -qo pipefail && echo pipefail-on || echo pipefail-off; '
              'echo "pwd=$PWD"; echo "home=$DATAVET_HOME"; command -v python; false; echo "still-here"')
    proc = subprocess.run(["bash", "-c", script], cwd=elsewhere, env=_env(project), capture_output=True,
                          text=True, timeout=60)
    out = proc.stdout
    assert "rc=0" in out, out + proc.stderr
    opts = out.split("opts=")[1].split()[0]
    assert "e" not in opts and "u" not in opts, opts
    assert "pipefail-off" in out
    assert f"pwd={elsewhere}" in out
    assert f"home={project}/.datavet" in out
    assert f"{project}/.venv/bin/python" in out
    assert "still-here" in out and proc.returncode == 0


@pytest.mark.parametrize("script", ["test.sh", "demo.sh"])
def test_scripts_still_stop_at_the_first_error(project, script):
    """DATAVET_HOME is a regular file, so env.sh cannot create the Airflow home: the script stops there."""
    blocker = project / "not-a-folder"
    blocker.write_text("")
    proc = subprocess.run(["bash", str(project / "scripts" / script)], cwd=project,
                          env=_env(project, DATAVET_HOME=str(blocker)), capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode != 0
    assert "running the certify DAG" not in proc.stdout  # demo.sh went no further
    output = proc.stdout + proc.stderr
    assert "cannot create directory" in output
    for later in ("E902", "All checks passed", "no tests ran", "passed", "failed"):  # nor test.sh (ruff, pytest)
        assert later not in output
