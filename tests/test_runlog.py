"""Why a dataset's last run failed is kept for the auditor pages, whichever path ran it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from datavet.registry.runlog import last_run, record_run
from datavet.settings import Settings
from tests.conftest import ADULT_SPEC, example_spec_dict, make_project, project_env


def test_cli_certify_records_the_failed_check(tmp_path) -> None:
    spec = make_project(tmp_path, example_spec_dict(), answers_from=ADULT_SPEC.parent / "answers.yaml")
    proc = subprocess.run([str(Path(sys.executable).parent / "datavet"), "certify", str(spec)], capture_output=True,
                          text=True, env={**os.environ, **project_env(tmp_path)}, timeout=600)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    run = last_run(Settings.from_env(tmp_path), "adult")
    assert run is not None and run["ok"] is False and run["run"] == "cli"
    assert "representation on sex" in run["message"] and "min_ratio" in run["message"]


def test_a_record_replaces_the_last_one_and_unreadable_records_are_none(tmp_path) -> None:
    settings = Settings(project=tmp_path)
    assert last_run(settings, "x") is None
    record_run(settings, "x", ok=False, stage="validate", run="r1", message="boom")
    record_run(settings, "x", ok=True, stage="certify", run="r2", message="x/certified/1")
    assert {k: last_run(settings, "x")[k] for k in ("ok", "stage", "run")} == {"ok": True, "stage": "certify",
                                                                                "run": "r2"}
    (settings.home / "runs" / "x.json").write_text("{not json")
    assert last_run(settings, "x") is None


def test_an_airflow_task_records_a_spec_problem_under_its_folder_name(tmp_path, monkeypatch) -> None:
    """A SpecError names a file, not a dataset: the record falls back to the spec's folder instead
    of failing with AttributeError over the stage's own error."""
    from types import SimpleNamespace

    from datavet.airflow.operators import record_failure
    from datavet.errors import SpecError

    spec = make_project(tmp_path, example_spec_dict())
    monkeypatch.setenv("DATAVET_HOME", str(tmp_path / ".datavet"))
    context = {"dag": SimpleNamespace(dag_id="datavet_certify_adult"), "run_id": "manual__1"}
    record_failure(str(spec), "validate", context, SpecError(str(spec), [f"{spec}: answers name another dataset"]))
    run = last_run(Settings.from_env(tmp_path), "adult")
    assert run is not None and run["stage"] == "validate" and "answers name another dataset" in run["message"]
    assert run["run"] == "airflow:datavet_certify_adult/manual__1"
