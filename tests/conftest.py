"""Shared fixtures: real data from ../shared/data, throw-away projects, registries and Airflow homes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = (REPO.parent / "shared" / "data").resolve()
SHARED_REFERENCE = (REPO.parent / "shared" / "reference").resolve()
ADULT_SPEC = REPO / "datasheets" / "adult" / "dataset.yaml"


def pytest_configure(config: pytest.Config) -> None:
    """Tests make their own projects, registries and Airflow homes: none may inherit the state
    locations that scripts/env.sh exports for the demo (the repository's own .datavet)."""
    for key in [k for k in os.environ if k.startswith(("DATAVET_", "AIRFLOW_HOME", "AIRFLOW__"))]:
        del os.environ[key]


def make_project(root: Path, spec: dict, *, answers_from: Path | None = None) -> Path:
    """A throw-away datavet project holding one spec; returns the spec path.

    Relative source paths in ``spec`` are made absolute against the repository, so the copy reads
    the same ../shared/data files as the real project does.
    """
    spec = dict(spec)
    source = dict(spec["source"])
    if not Path(source["path"]).is_absolute():
        source["path"] = str((REPO / source["path"]).resolve())
    spec["source"] = source
    folder = root / "datasheets" / spec["name"]
    folder.mkdir(parents=True, exist_ok=True)
    if answers_from is not None and answers_from.exists():
        shutil.copyfile(answers_from, folder / "answers.yaml")
    spec["datasheet"] = f"datasheets/{spec['name']}/answers.yaml"
    (root / "expectations").mkdir(exist_ok=True)
    path = folder / "dataset.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def adult_spec_dict() -> dict:
    return yaml.safe_load(ADULT_SPEC.read_text())


def example_spec_dict() -> dict:
    """The reference example spec, verbatim: Adult fails its error-severity representation check."""
    return yaml.safe_load((SHARED_REFERENCE / "example-dataset.yaml").read_text())


def project_env(project: Path) -> dict[str, str]:
    home = project / ".datavet"
    return {"DATAVET_PROJECT": str(project), "DATAVET_HOME": str(home)}


@pytest.fixture
def adult_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    spec = make_project(tmp_path, adult_spec_dict(), answers_from=ADULT_SPEC.parent / "answers.yaml")
    for key, value in project_env(tmp_path).items():
        monkeypatch.setenv(key, value)
    return spec


class AirflowHome:
    """A migrated SQLite Airflow home whose DAGs folder is the repository's dags/."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.bin = Path(sys.executable).parent

    def env(self, project: Path) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "DATAVET"))}
        env.update(project_env(project))
        env.update({
            "AIRFLOW_HOME": str(self.home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            "DVC_NO_ANALYTICS": "1",
            "GX_ANALYTICS_ENABLED": "False",
            "PATH": f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}",
        })
        return env

    def run(self, project: Path, *args: str, timeout: int = 600) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(self.bin / "airflow"), *args], env=self.env(project), capture_output=True,
                              text=True, timeout=timeout)

    def sql(self, query: str) -> list[tuple]:
        import sqlite3

        with sqlite3.connect(self.home / "airflow.db") as conn:
            return conn.execute(query).fetchall()


@pytest.fixture(scope="session")
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> AirflowHome:
    home = AirflowHome(tmp_path_factory.mktemp("airflow_home"))
    proc = home.run(home.home, "db", "migrate")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return home


def require(problem: str | None) -> None:
    """A missing system package: a failure naming it in CI (never a silent skip), a skip elsewhere."""
    if problem is None:
        return
    if os.environ.get("CI"):
        pytest.fail(problem, pytrace=False)
    pytest.skip(problem)


def require_pyspark() -> None:
    import importlib.util

    require(None if importlib.util.find_spec("pyspark") else "pyspark is not installed: pip install 'datavet[spark]'")


@pytest.fixture(scope="session")
def postgres():
    """PostgreSQL 15 on 127.0.0.1 (Debian's binaries, temporary data dir) with the five real datasets
    loaded as datavet reads them: public.adult, bank, titanic, german, fairface."""
    from datavet.ingest import read_source
    from tests import pg
    from tests.checks.conftest import make_loaded
    from tests.engines.datasets import DATASETS

    require(pg.missing_requirement())
    server = pg.start_server()
    try:
        root = Path(tempfile.mkdtemp(prefix="datavet-pg-load-"))
        for name, spec in DATASETS.items():
            loaded, _ = make_loaded(root / name, spec())
            server.load(name, read_source(loaded))
        shutil.rmtree(root, ignore_errors=True)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def spark_session():
    """One local SparkSession for the whole test session (2 cores, 2 shuffle partitions, no UI)."""
    from datavet.engines.spark import missing_requirement, session
    from datavet.settings import Settings

    require(missing_requirement())
    spark = session(Settings(spark_master="local[2]", spark_conf={"spark.sql.shuffle.partitions": "2"}))
    yield spark
    spark.stop()
