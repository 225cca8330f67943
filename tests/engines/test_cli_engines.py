"""`datavet check --engine spark|sql` as users run it: the same report as DuckDB's, and bad input on
these paths exits 2 with the dataset and the fix on stderr, no traceback and no password anywhere."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from datavet.settings import Settings
from tests.checks.conftest import close
from tests.conftest import ADULT_SPEC, adult_spec_dict, make_project, require, require_pyspark
from tests.pg import PASSWORD, free_port

DATAVET = str(Path(sys.executable).parent / "datavet")
URL_ENV = "DATAVET_PG_URL"


def run(project: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "DATAVET_PROJECT": str(project), "DATAVET_HOME": str(project / ".datavet"), **env}
    return subprocess.run([DATAVET, *args], cwd=project, env=full, capture_output=True, text=True, timeout=600)


def sql_spec(project: Path, **sql) -> Path:
    spec = adult_spec_dict()
    spec["source"] = {"sql": {"url_env": URL_ENV, **sql}}
    spec["engine"] = "sql"
    folder = project / "datasheets" / "adult"
    folder.mkdir(parents=True)
    (project / "expectations").mkdir()
    (folder / "dataset.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return folder / "dataset.yaml"


def everything_written(project: Path, proc: subprocess.CompletedProcess[str]) -> list[str]:
    return [proc.stdout, proc.stderr] + [p.read_bytes().decode("utf-8", "replace") for p in project.rglob("*")
                                         if p.is_file()]


@pytest.fixture(scope="module")
def reference_report(tmp_path_factory):
    """Adult's published report computed in process (the form `datavet check --json` writes)."""
    from datavet.checks import run_checks
    from datavet.spec import load_spec

    project = tmp_path_factory.mktemp("duck")
    loaded = load_spec(make_project(project, adult_spec_dict()))
    report = run_checks(loaded, loaded.source_path, store=False,
                        settings=Settings(project=project, gx_root=project / "gx"))
    return json.loads(report.published(loaded.spec.small_cell_threshold).to_json())


def same_figures(a: dict, b: dict) -> None:
    assert a["rows"] == b["rows"] and a["success"] == b["success"]
    assert len(a["checks"]) == len(b["checks"])
    for x, y in zip(a["checks"], b["checks"], strict=True):
        assert (x["check"], x.get("column")) == (y["check"], y.get("column"))
        assert close(x["observed"], y["observed"], 1e-12), (x["check"], x.get("column"))


def test_check_with_engine_spark(tmp_path, reference_report):
    from datavet.engines.spark import missing_requirement

    require(missing_requirement())
    spec = make_project(tmp_path, adult_spec_dict(), answers_from=ADULT_SPEC.parent / "answers.yaml")
    proc = run(tmp_path, "check", str(spec), "--engine", "spark", "--json", "report.json",
               DATAVET_SPARK_MASTER="local[2]", DATAVET_SPARK_CONF='{"spark.sql.shuffle.partitions": "2"}')
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["engine"] == "spark" and report["rows"] == 32561
    same_figures(report, reference_report)


def test_check_a_table_in_place_with_engine_sql(postgres, tmp_path, reference_report):
    spec = sql_spec(tmp_path, table="public.adult")
    proc = run(tmp_path, "check", str(spec), "--json", "report.json", **{URL_ENV: postgres.url()})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "in place" in proc.stdout
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["engine"] == "sql" and report["data_hash"] is None
    same_figures(report, reference_report)
    outputs = everything_written(tmp_path, proc)
    assert len(outputs) > 3 and not [o[:200] for o in outputs if PASSWORD in o]


BAD = {
    "unreachable server": ({"table": "public.adult"}, lambda s: s.url(port=free_port()), "cannot reach"),
    "wrong credentials": ({"table": "public.adult"}, lambda s: s.url(password="not-the-Pw-9"), "credentials"),
    "missing table": ({"table": "public.nope"}, lambda s: s.url(), "does not exist"),
    "failing query": ({"query": "SELECT * FROM adult WHERE 1 / (age - age) > 0"}, lambda s: s.url(),
                      "rejected the statement"),
}


@pytest.mark.parametrize(("command", "case"), [*(("check", case) for case in BAD), ("certify", "failing query"),
                                               ("certify", "wrong credentials")])
def test_bad_database_input_exits_2(case, command, postgres, tmp_path):
    sql, url, words = BAD[case]
    spec = sql_spec(tmp_path, **sql)
    proc = run(tmp_path, command, str(spec), **{URL_ENV: url(postgres)})
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "dataset 'adult'" in proc.stderr and "Fix:" in proc.stderr and words in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    assert not [o[:200] for o in everything_written(tmp_path, proc) if PASSWORD in o or "not-the-Pw-9" in o]
    staging = tmp_path / ".datavet" / "registry" / ".staging"
    assert not staging.exists() or not [p for p in staging.rglob("*") if p.is_file()]  # nothing half written


def test_java_missing_exits_2(tmp_path):
    require_pyspark()
    spec = make_project(tmp_path, adult_spec_dict(), answers_from=ADULT_SPEC.parent / "answers.yaml")
    proc = run(tmp_path, "check", str(spec), "--engine", "spark", JAVA_HOME=str(tmp_path / "no-java"))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "dataset 'adult'" in proc.stderr and "openjdk-17-jre-headless" in proc.stderr, proc.stderr
