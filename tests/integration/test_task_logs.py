"""What a person reading the certify DAG's task logs sees: datavet's own lines first, no pages of Great
Expectations registration warnings, and a skipped task's reason at the project's default level (WARNING)."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.conftest import ADULT_SPEC, adult_spec_dict, make_project

pytestmark = pytest.mark.integration
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT")  # a log record's first line (continuation lines have none)
FRAMEWORK = re.compile(r"\[(airflow\.[\w.]+|task)\]")  # Airflow's own lines about running the task


def task_log(output: str, task: str) -> list[str]:
    """The records `airflow dags test` printed while ``task`` ran (its task log)."""
    start = output.index(f"[DAG TEST] starting task_id={task} ")
    end = output.index(f"[DAG TEST] end task task_id={task} ", start)
    return [line for line in output[start:end].splitlines() if STAMP.match(line)]


@pytest.fixture(scope="module")
def runs(airflow_home, tmp_path_factory):
    project = tmp_path_factory.mktemp("logs_project")
    make_project(project, adult_spec_dict(), answers_from=ADULT_SPEC.parent / "answers.yaml")
    first = airflow_home.run(project, "dags", "test", "datavet_certify_adult")
    assert first.returncode == 0, (first.stdout + first.stderr)[-6000:]
    env = {**airflow_home.env(project), "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING"}
    second = subprocess.run([str(airflow_home.bin / "airflow"), "dags", "test", "datavet_certify_adult"], env=env,
                            capture_output=True, text=True, timeout=600)
    assert second.returncode == 0, (second.stdout + second.stderr)[-6000:]
    return first.stdout + first.stderr, second.stdout + second.stderr


def test_no_registration_noise_and_no_module_imported_twice(runs) -> None:
    first, _ = runs
    assert "Overwriting declaration" not in first
    assert "Failed to import plugin" not in first  # the package's files are not loaded as plugins


def test_the_validate_log_starts_with_datavet(runs) -> None:
    first, _ = runs
    own = [line for line in task_log(first, "validate") if not FRAMEWORK.search(line)]
    assert own and "[datavet." in own[0], own[:5]
    third_party = [line for line in own if "[datavet." not in line]
    assert len(third_party) <= 3, third_party
    assert any("checks passed" in line for line in own)


def test_a_skipped_tasks_reason_shows_at_warning(runs) -> None:
    _, second = runs
    assert re.search(r"skipped: adult: version [0-9a-f]{32} is already certified as adult/certified/1", second)
