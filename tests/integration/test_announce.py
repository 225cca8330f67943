"""A version certified by `datavet certify` (no Airflow) reaches Airflow: the next certify DAG run
emits the missing Asset event once, which queues the training DAG; the run after it emits nothing."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from datavet.registry import Registry
from datavet.settings import Settings
from tests.conftest import ADULT_SPEC, adult_spec_dict, make_project, project_env

pytestmark = pytest.mark.integration
URI = "datavet://certified/adult"


def _events(airflow_home) -> list[dict]:
    rows = airflow_home.sql("SELECT e.extra FROM asset_event e JOIN asset a ON a.id = e.asset_id "
                            f"WHERE a.uri = '{URI}' ORDER BY e.id")
    return [json.loads(r[0]) for r in rows]


def test_cli_certification_is_announced_once(tmp_path, airflow_home) -> None:
    spec = make_project(tmp_path, adult_spec_dict(), answers_from=ADULT_SPEC.parent / "answers.yaml")
    cli = subprocess.run([str(airflow_home.bin / "datavet"), "certify", str(spec)], capture_output=True, text=True,
                         env={**os.environ, **project_env(tmp_path)}, timeout=600)
    assert cli.returncode == 0, cli.stdout + cli.stderr
    settings = Settings.from_env(tmp_path)
    registry = Registry(settings.registry, settings.remote)
    md5 = registry.recorded_md5("adult")
    head = registry.git("rev-parse", "HEAD")
    mine = str(settings.registry)  # the session's Airflow home also holds other projects' events
    assert not [e for e in _events(airflow_home) if e.get("registry") == mine]
    # an empty queue, so the consumer queued below was queued by this run's event
    airflow_home.sql(f"DELETE FROM asset_dag_run_queue WHERE asset_id IN (SELECT id FROM asset WHERE uri = '{URI}')")

    first = airflow_home.run(tmp_path, "dags", "test", "datavet_certify_adult")
    out = first.stdout + first.stderr
    assert first.returncode == 0, out[-6000:]
    assert "has no Asset event for it" in out
    announced = [e for e in _events(airflow_home) if e.get("registry") == mine]
    assert len(announced) == 1, announced
    assert announced[0]["md5"] == md5 and announced[0]["tag"] == "adult/certified/1"
    assert announced[0]["certified_by"] == "cli"
    queued = airflow_home.sql("SELECT q.target_dag_id FROM asset_dag_run_queue q JOIN asset a "
                              f"ON a.id = q.asset_id WHERE a.uri = '{URI}'")
    assert ("datavet_train_adult",) in queued
    assert registry.git("rev-parse", "HEAD") == head and registry.certified_tags("adult") == ["adult/certified/1"]

    second = airflow_home.run(tmp_path, "dags", "test", "datavet_certify_adult")
    assert second.returncode == 0, (second.stdout + second.stderr)[-6000:]
    assert "already certified" in second.stdout + second.stderr
    assert len([e for e in _events(airflow_home) if e.get("registry") == mine]) == 1
    assert registry.git("rev-parse", "HEAD") == head
