"""A spec with ``engine: spark`` certified through the real certify DAG (`airflow dags test`): the
validate task runs the suite on GX's Spark engine (local mode), and every published figure equals
the same suite on DuckDB."""

from __future__ import annotations

import json

import pytest
import yaml

from datavet.audit import audit
from datavet.registry import Registry
from datavet.settings import Settings
from datavet.spec import load_spec
from tests.checks.conftest import close
from tests.conftest import ADULT_SPEC, adult_spec_dict, make_project, require_pyspark

pytestmark = pytest.mark.integration


def test_the_validate_task_runs_on_spark(airflow_home, tmp_path):
    from datavet.engines.spark import missing_requirement
    from tests.conftest import require

    require_pyspark()
    require(missing_requirement())
    project = tmp_path / "project"
    spec = {**adult_spec_dict(), "name": "adult_spark", "engine": "spark"}
    path = make_project(project, spec, answers_from=ADULT_SPEC.parent / "answers.yaml")
    answers = path.parent / "answers.yaml"
    answers.write_text(yaml.safe_dump({**yaml.safe_load(answers.read_text()), "dataset": "adult_spark"},
                                      sort_keys=False))
    proc = airflow_home.run(project, "dags", "test", "datavet_certify_adult_spark", timeout=1200)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]

    settings = Settings.from_env(project)
    registry = Registry(settings.registry, settings.remote)
    assert registry.certified_tags("adult_spark") == ["adult_spark/certified/1"]
    md5 = registry.recorded_md5("adult_spark")
    on_spark = json.loads(registry.validation_path("adult_spark", md5).read_text())
    assert on_spark["engine"] == "spark" and on_spark["rows"] == 32561

    loaded = load_spec(path)
    on_duckdb = audit(loaded, settings, engine="duckdb").report.published(loaded.spec.small_cell_threshold)
    assert on_duckdb.engine == "duckdb" and on_duckdb.data_hash == md5
    expected = json.loads(on_duckdb.to_json())["checks"]
    assert [(c["check"], c["column"], c["by"]) for c in on_spark["checks"]] == [
        (c["check"], c["column"], c["by"]) for c in expected]
    for got, want in zip(on_spark["checks"], expected, strict=True):
        assert close(got["observed"], want["observed"], 1e-12), (got["check"], got["column"])
        assert (got["success"], got["failures"]) == (want["success"], want["failures"])
