"""Why a dataset's last run failed is kept for the auditor pages, whichever path ran it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from datavet.runlog import last_run, record_run
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
