"""engine: spark on a real standalone cluster (a master and two workers on 127.0.0.1, each its own JVM):
every figure of every check and the datasheet profile equal the DuckDB path's, computed by a driver
process pointed at the cluster only through DATAVET_SPARK_MASTER / DATAVET_SPARK_CONF."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from datavet.checks import run_checks
from datavet.datasheet.profile import profile_version
from datavet.engines import engine_for
from tests.checks.conftest import close
from tests.conftest import REPO

NAMES = ["adult", "fairface"]  # the largest table, and one with an identifying column (one more job)


def run_driver(cluster, job: dict, folder: Path) -> dict:
    """Run tests/engines/cluster_driver.py against ``cluster``; its pickled result."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "job.json").write_text(json.dumps(job))
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATAVET_")} | cluster.env()
    proc = subprocess.run([sys.executable, "-m", "tests.engines.cluster_driver", str(folder / "job.json"),
                           str(folder / "out.pickle")], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stderr[-4000:] + "\n" + cluster.log()
    return pickle.loads((folder / "out.pickle").read_bytes())


@pytest.fixture(scope="module")
def on_cluster(spark_cluster, datasets, tmp_path_factory) -> dict:
    job = {"kind": "checks", "datasets": [{"root": str(datasets[n].loaded.root), "parquet": str(datasets[n].parquet),
                                           "spec": str(datasets[n].loaded.path)} for n in NAMES]}
    return run_driver(spark_cluster, job, tmp_path_factory.mktemp("cluster-checks"))


def test_the_driver_ran_on_the_standalone_cluster(spark_cluster, on_cluster):
    assert on_cluster["master"] == spark_cluster.url
    state = spark_cluster.state()
    assert state["aliveworkers"] == 2 and len(state["workers"]) == 2
    apps = [a for a in state["completedapps"] + state["activeapps"] if a["name"] == "datavet"]
    assert apps and apps[-1]["cores"] == 2, apps  # both workers' executors ran its tasks


@pytest.mark.parametrize("name", NAMES)
def test_every_figure_equals_duckdb(on_cluster, datasets, name):
    dataset = datasets[name]
    got = on_cluster["result"][name]
    assert got["engine"] == "spark"
    expected = run_checks(dataset.loaded, dataset.parquet, engine="duckdb", settings=dataset.settings, store=False)
    assert [(c.check, c.column, c.columns, c.by) for c in got["checks"]] == [
        (c.check, c.column, c.columns, c.by) for c in expected.checks]
    for x, y in zip(expected.checks, got["checks"], strict=True):
        assert close(x.observed, y.observed, 1e-12), (name, x.check, x.column, x.observed, y.observed)
        assert (x.success, x.failures, x.severity) == (y.success, y.failures, y.severity), (x.check, x.column)
    profile = profile_version(dataset.parquet, dataset.loaded, engine_for("duckdb", dataset.settings))
    spark = got["profile"]
    assert (spark.rows, spark.duplicate_rows, spark.label_counts, spark.duplicate_rows_without_identifying) == (
        profile.rows, profile.duplicate_rows, profile.label_counts, profile.duplicate_rows_without_identifying)
    # and against pandas on the frame ingest read, so agreement cannot come from a shared mistake
    identifying = dataset.loaded.spec.columns_with_role("identifying")
    assert spark.rows == len(dataset.df) and spark.duplicate_rows == int(dataset.df.duplicated().sum())
    if identifying:
        kept = dataset.df.drop(columns=identifying)
        assert spark.duplicate_rows_without_identifying == int(kept.duplicated().sum())
