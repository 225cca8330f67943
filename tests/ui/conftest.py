"""A project with Adult certified by the real certify DAG and an injected Titanic certified by the
CLI, served by a real `airflow api-server` under a sub-path (AIRFLOW__API__BASE_URL)."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml

from tests.conftest import (
    ADULT_SPEC,
    SHARED_DATA,
    AirflowHome,
    adult_spec_dict,
    example_spec_dict,
    make_project,
    project_env,
)
from tests.datasheet.conftest import INJECTED, full_answers, titanic_spec

SUB_PATH = "/airflow"
USERS = "auditor:viewer,nobody:"  # "nobody" logs in but has no role: the auth manager allows them nothing


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def injected_titanic(project: Path) -> Path:
    """Titanic whose Embarked holds a <script> value in 12 rows (above the small-cell threshold, so
    it is published), with a warning check whose failure text names that value."""
    import pandas as pd

    df = pd.read_csv(SHARED_DATA / "titanic_train.csv", dtype=str, keep_default_na=False)
    df.loc[df.index[:12], "Embarked"] = INJECTED
    csv = project / "titanic_injected.csv"
    df.to_csv(csv, index=False)
    spec = titanic_spec(csv)
    spec["checks"]["representation"][1] = {"column": "Embarked", "min_share": 0.05, "severity": "warning"}
    folder = project / "datasheets" / "titanic"
    folder.mkdir(parents=True)
    (folder / "dataset.yaml").write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    (folder / "answers.yaml").write_text(yaml.safe_dump(full_answers("titanic"), sort_keys=False), encoding="utf-8")
    return folder / "dataset.yaml"


@pytest.fixture(scope="session")
def certified_project(airflow_home: AirflowHome, tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("ui_project")
    make_project(project, adult_spec_dict(), answers_from=ADULT_SPEC.parent / "answers.yaml")
    proc = airflow_home.run(project, "dags", "test", "datavet_certify_adult")
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]
    # the reference example's limits: Adult fails its error-severity representation check on sex
    failing = {**example_spec_dict(), "name": "adult_strict", "title": "Adult with the example's strict limits"}
    strict = make_project(project, failing, answers_from=ADULT_SPEC.parent / "answers.yaml")
    answers = strict.parent / "answers.yaml"  # complete answers of its own: the answers gate comes first
    answers.write_text(answers.read_text().replace("dataset: adult\n", "dataset: adult_strict\n", 1))
    proc = airflow_home.run(project, "dags", "test", "datavet_certify_adult_strict")
    assert proc.returncode == 1, (proc.stdout + proc.stderr)[-6000:]
    spec = injected_titanic(project)
    env = {**os.environ, **project_env(project)}
    cli = subprocess.run([str(airflow_home.bin / "datavet"), "certify", str(spec)], capture_output=True, text=True,
                         env=env, timeout=600)
    assert cli.returncode == 0, (cli.stdout + cli.stderr)[-4000:]
    return project


@dataclass
class Server:
    base: str  # http://127.0.0.1:PORT/airflow
    passwords: dict[str, str]
    log: Path

    def token(self, user: str) -> str:
        resp = httpx.post(f"{self.base}/auth/token", json={"username": user, "password": self.passwords[user]},
                          timeout=60)
        assert resp.status_code == 201, resp.text
        return resp.json()["access_token"]

    def get(self, path: str, token: str | None = None, **kw) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.get(self.base + path, headers=headers, timeout=120, **kw)


@contextlib.contextmanager
def serving(airflow_home: AirflowHome, project: Path, base_path: str, log: Path) -> Iterator[Server]:
    """A real ``airflow api-server`` on 127.0.0.1 for ``project`` (under ``base_path``), until exit."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}{base_path}"
    env = airflow_home.env(project)
    env.update({"AIRFLOW__API__BASE_URL": base, "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": USERS,
                "AIRFLOW__API__WORKERS": "1"})
    with open(log, "w") as out:
        proc = subprocess.Popen([str(airflow_home.bin / "airflow"), "api-server", "--host", "127.0.0.1",
                                 "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 240
        while True:
            assert proc.poll() is None, log.read_text()[-4000:]
            assert time.monotonic() < deadline, log.read_text()[-4000:]
            try:
                if httpx.get(f"{base}/api/v2/monitor/health", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(1)
        passwords = json.loads((airflow_home.home / "simple_auth_manager_passwords.json.generated").read_text())
        yield Server(base, passwords, log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def api_server(airflow_home: AirflowHome, certified_project: Path, tmp_path_factory) -> Server:
    with serving(airflow_home, certified_project, SUB_PATH,
                 tmp_path_factory.mktemp("api_server") / "api-server.log") as server:
        yield server
