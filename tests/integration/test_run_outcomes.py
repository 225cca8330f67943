"""`airflow dags test` on a certify DAG as scripts/env.sh sets it up (task logs at WARNING): one outcome
line per run (the certified tag, the skip of a no-op, or the failed checks once, no traceback), and none of the
noise a user cannot act on (graphviz, GitWildMatchPattern, "No tasks to run"). Real Titanic data."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from datavet.quiet import PYTHONWARNINGS_DATAVET
from datavet.registry import Registry
from datavet.registry.store import committed_certificate
from datavet.settings import Settings
from tests.conftest import REPO, make_project
from tests.datasheet.conftest import full_answers, titanic_spec
from tests.faults.conftest import TITANIC

pytestmark = pytest.mark.integration
NOISE = ("graphviz", "GitWildMatchPattern", "No tasks to run", "GxDatasourceWarning")


def test_env_sh_exports_the_filters() -> None:
    assert f'export PYTHONWARNINGS="{PYTHONWARNINGS_DATAVET}"' in (REPO / "scripts" / "env.sh").read_text()


@pytest.fixture(scope="module")
def runs(airflow_home, tmp_path_factory):
    import yaml

    project = tmp_path_factory.mktemp("outcomes")
    passing = titanic_spec(TITANIC)
    failing = titanic_spec(TITANIC, name="titanic_fail")
    failing["checks"]["representation"][0]["max_tvd"] = 0.01  # error severity: Sex is 65/35, not 50/50
    for spec in (passing, failing):
        path = make_project(project, spec)
        (path.parent / "answers.yaml").write_text(yaml.safe_dump(full_answers(spec["name"])))
    env = {**airflow_home.env(project), "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
           "PYTHONWARNINGS": PYTHONWARNINGS_DATAVET}

    def dags_test(dag: str, *conf: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(airflow_home.bin / "airflow"), "dags", "test", dag, *conf], env=env,
                              capture_output=True, text=True, timeout=600)

    reason = ["--conf", json.dumps({"reason": "first release for the survival study"})]
    return dags_test("datavet_certify_titanic", *reason), dags_test("datavet_certify_titanic"), \
        dags_test("datavet_certify_titanic_fail"), project


def _out(proc: subprocess.CompletedProcess[str]) -> str:
    return proc.stdout + proc.stderr


def test_a_certified_run_prints_one_outcome_line_and_no_noise(runs) -> None:
    first, second, _, _ = runs
    assert first.returncode == 0, _out(first)[-4000:]
    out = _out(first)
    lines = re.findall(r"outcome: .*", out)
    assert len(lines) == 1, out
    assert re.match(r"outcome: titanic: certified version [0-9a-f]{32} as titanic/certified/1 \(\d+/\d+ checks "
                    r"passed", lines[0]), lines
    assert not [n for n in NOISE if n in out], out
    assert "Traceback" not in out
    again = _out(second)
    assert len(re.findall(r"outcome: skipped: titanic: version [0-9a-f]{32} is already certified as "
                          r"titanic/certified/1", again)) == 1, again
    assert not [n for n in NOISE if n in again], again


def test_a_failed_check_is_one_outcome_with_its_summary_once(runs) -> None:
    _, _, failed, _ = runs
    out = _out(failed)
    assert failed.returncode != 0 or "failed" in out
    assert len(re.findall(r"outcome: dataset 'titanic_fail': checks failed, not certified", out)) == 1, out
    assert out.count("[error] representation on Sex") == 1, out
    assert "ChecksFailed" not in out and "datavet/errors.py" not in out  # no chained datavet traceback
    # Airflow's own "Task failed with exception" line stays, without the frames of where datavet stopped
    assert "Traceback" not in out and "task_runner.py\", line" not in out, out
    assert "Task failed with exception" in out, out
    assert not [n for n in NOISE if n in out], out


def test_the_runs_conf_reason_is_recorded_like_the_cli_flag(runs) -> None:
    """`airflow dags test DAG --conf '{"reason": ...}'`: the certificate and the datasheet keep it."""
    *_, project = runs
    settings = Settings.from_env(project)
    registry = Registry(settings.registry, settings.remote)
    cert = committed_certificate(registry, "titanic", "titanic/certified/1")
    assert cert.changes is not None and cert.changes.reason == "first release for the survival study"
    card = (registry.datasheet_dir("titanic") / "datasheet.md").read_text(encoding="utf-8")
    assert "The dataset's first certification." in card
    assert "**Reason given:** first release for the survival study" in card
