"""A real Airflow run killed with SIGKILL in the middle of its certify task, then run again: the second
run certifies the version once, with nothing to clean up by hand."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from datavet.registry.verify import verify_version
from tests.conftest import AirflowHome
from tests.faults.conftest import FaultProject, registry_snapshot, write_titanic

pytestmark = pytest.mark.integration


def test_dag_killed_during_certify_recovers_on_the_next_run(airflow_home: AirflowHome,
                                                            project: FaultProject) -> None:
    registry = project.registry
    write_titanic(project.source)  # a new version: 891 passengers
    pointer = registry.dvc_file("titanic")
    certified_pointer = pointer.read_text()
    before = registry_snapshot(registry)

    run = subprocess.Popen([str(airflow_home.bin / "airflow"), "dags", "test", "datavet_certify_titanic"],
                           env=airflow_home.env(project.root), stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, start_new_session=True)
    try:  # only the certify task moves the .dvc pointer: kill the whole run the moment it does
        deadline = time.monotonic() + 240
        while pointer.read_text() == certified_pointer and run.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert run.poll() is None, "the run ended before its certify task started"
    finally:
        os.killpg(run.pid, signal.SIGKILL)
        run.wait()

    killed = registry_snapshot(registry)
    assert killed["tags"] == before["tags"]  # killed mid-certify: no tag, hence nothing certified
    assert registry.certified_tags("titanic") == ["titanic/certified/1"]

    again = airflow_home.run(project.root, "dags", "test", "datavet_certify_titanic")
    assert again.returncode == 0, (again.stdout + again.stderr)[-4000:]
    assert registry.certified_tags("titanic") == ["titanic/certified/1", "titanic/certified/2"]
    assert verify_version(registry, "titanic").ok
    after = registry_snapshot(registry)
    assert after["tracked_status"] == after["untracked"] == "" and not after["index_lock"]
    assert registry.git("rev-parse", "HEAD~1") == before["head"]
    assert Path(registry.remote, "files").is_dir() and len(after["remote"]) == 2
