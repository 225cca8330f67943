"""Progress on long work, on real data: a line on a terminal (rows read, files hashed, with the count
pandas and the file system give), a log line in an Airflow task, nothing in a pipe or with --quiet."""

from __future__ import annotations

import logging
import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from datavet import progress
from tests.conftest import ADULT_SPEC, SHARED_DATA, adult_spec_dict, make_project, project_env

DATAVET = str(Path(sys.executable).parent / "datavet")
ADULT_ROWS = len(pd.read_csv(SHARED_DATA / "adult.data", header=None, skipinitialspace=True))


def _on_a_terminal(args: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str, str]:
    """Run with stderr on a pseudo-terminal (stdout a pipe); (exit code, stdout, what the terminal got)."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=follower, env=env, cwd=cwd)
    os.close(follower)
    seen = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 1.0)
        if ready:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
        elif proc.poll() is not None:
            break
    out = proc.stdout.read().decode() if proc.stdout else ""
    code = proc.wait(timeout=600)
    os.close(leader)
    return code, out, seen.decode(errors="replace")


@pytest.fixture(scope="module")
def adult(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("progress")
    return root, make_project(root, adult_spec_dict(), answers_from=ADULT_SPEC.parent / "answers.yaml")


def _env(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATAVET", "AIRFLOW"))}
    return {**env, **project_env(root), "COLUMNS": "120"}


def test_rows_read_on_a_terminal_and_nothing_with_quiet(adult: tuple[Path, Path]) -> None:
    root, spec = adult
    code, out, terminal = _on_a_terminal([DATAVET, "check", str(spec)], _env(root), root)
    assert code in (0, 1), out + terminal
    assert "reading rows" in terminal and f"{ADULT_ROWS:,} rows" in terminal, terminal
    code, out, terminal = _on_a_terminal([DATAVET, "--quiet", "check", str(spec)], _env(root), root)
    assert code in (0, 1) and "reading rows" not in terminal and "rows/s" not in terminal, terminal
    assert f"checks on {ADULT_ROWS} rows" in out


def test_nothing_when_not_a_terminal(adult: tuple[Path, Path]) -> None:
    root, spec = adult
    proc = subprocess.run([DATAVET, "check", str(spec)], env=_env(root), cwd=root, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode in (0, 1) and proc.stderr == "", proc.stderr


def test_files_hashed_as_log_lines_in_an_airflow_task(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    """In a task (AIRFLOW_CTX_DAG_ID set) a line every LOG_EVERY seconds: here every file, LOG_EVERY 0."""
    from datavet.pipeline import version
    from tests.files.conftest import FilesProject

    files = sorted(SHARED_DATA.glob("fairface/val/1*.jpg"))
    project = FilesProject(tmp_path / "project")
    project.write_spec({"name": "faces", "title": "FairFace", "owner": "qa@example.org", "license": "CC-BY-4.0",
                        "source": {"files": {"root": str(SHARED_DATA), "include": ["fairface/val/1*.jpg"]}},
                        "columns": {}, "checks": {}})
    monkeypatch.setenv("AIRFLOW_CTX_DAG_ID", "datavet_certify_faces")
    monkeypatch.setattr(progress, "LOG_EVERY", 0.0)
    with caplog.at_level(logging.INFO, logger="datavet.progress"):
        version(project.loaded(), project.settings)
    lines = [r.getMessage() for r in caplog.records if r.name == "datavet.progress"]
    hashed = [line for line in lines if line.startswith("faces: hashing files:")]
    assert len(hashed) >= len(files) and f"{len(files):,} of {len(files):,} files" in hashed[-1], hashed[-3:]
    assert any(line.startswith("faces: decoding files:") for line in lines)
    assert "files/s" in hashed[0]
    monkeypatch.setenv("DATAVET_QUIET", "1")
    assert progress.mode() == "off"
