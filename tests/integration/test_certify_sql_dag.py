"""A PostgreSQL table certified end to end through the real certify DAG (`airflow dags test`): the
version task streams the table into Parquet, the rest is the ordinary pipeline. Every output of
the run (task logs, registry, GX store, datasheets, certificate) is grepped for the password."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from datavet.ingest import file_md5
from datavet.registry import Registry
from datavet.registry.certificate import Certificate
from datavet.settings import Settings
from tests.conftest import ADULT_SPEC, adult_spec_dict, project_env
from tests.pg import PASSWORD

pytestmark = pytest.mark.integration


def sql_project(root: Path) -> Path:
    spec = adult_spec_dict()
    spec["name"] = "adult_pg"
    spec["source"] = {"sql": {"url_env": "DATAVET_PG_URL", "table": "public.adult"}}
    spec["engine"] = "sql"  # `datavet check` audits in place; the DAG validates the version it certifies
    folder = root / "datasheets" / "adult_pg"
    folder.mkdir(parents=True)
    answers = yaml.safe_load((ADULT_SPEC.parent / "answers.yaml").read_text())
    answers["dataset"] = "adult_pg"
    (folder / "answers.yaml").write_text(yaml.safe_dump(answers, sort_keys=False))
    spec["datasheet"] = "datasheets/adult_pg/answers.yaml"
    (root / "expectations").mkdir()
    (folder / "dataset.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return folder / "dataset.yaml"


def test_a_postgres_table_certified_through_the_dag(airflow_home, postgres, tmp_path):
    project = tmp_path / "project"
    sql_project(project)
    env = {**airflow_home.env(project), "DATAVET_PG_URL": postgres.url()}
    proc = subprocess.run([str(airflow_home.bin / "airflow"), "dags", "test", "datavet_certify_adult_pg"], env=env,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]
    settings = Settings.from_env(project)
    registry = Registry(settings.registry, settings.remote)
    assert registry.certified_tags("adult_pg") == ["adult_pg/certified/1"]
    md5 = registry.recorded_md5("adult_pg")
    cert = Certificate.from_path(registry.certificate_path("adult_pg", md5))
    assert cert.rows == 32561 and cert.md5 == md5 == file_md5(registry.data_path("adult_pg"))
    outputs = [proc.stdout, proc.stderr]
    for folder in (project, airflow_home.home / "logs", Path(project_env(project)["DATAVET_HOME"])):
        outputs += [p.read_bytes().decode("utf-8", "replace") for p in folder.rglob("*") if p.is_file()]
    assert len(outputs) > 10
    assert not [text[:200] for text in outputs if PASSWORD in text]
