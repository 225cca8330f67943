"""engine: spark on a real standalone cluster (a master and two workers on 127.0.0.1, each its own JVM),
from a driver process pointed at it only through DATAVET_SPARK_MASTER / DATAVET_SPARK_CONF:

* every figure of every check and the datasheet profile equal the DuckDB path's;
* a Hive-partitioned source's parts written by the executors (datavet.sources.spark_parts) are the
  DuckDB path's bytes;
* ``datavet certify`` of that source with ``engine: spark`` (the executors write the parts, the
  driver lists them) certifies the same ``.dir`` md5 with every figure equal to the DuckDB path's.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest

from datavet.checks import run_checks
from datavet.datasheet.profile import profile_version
from datavet.engines import engine_for
from tests.checks.conftest import close
from tests.conftest import REPO, adult_spec_dict, make_project

NAMES = ["adult"]  # the largest table (the other four: tests/engines/test_engines_agree.py, Spark local mode)


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


def checks_step(dataset, parquet: Path) -> dict:
    return {"kind": "checks", "datasets": [{"root": str(dataset.loaded.root), "parquet": str(parquet),
                                            "spec": str(dataset.loaded.path)}]}


@pytest.fixture(scope="module")
def partitioned(datasets, tmp_path_factory) -> dict:
    """Adult's version as a Hive-style directory partitioned by race (five folders, pyarrow's writer),
    one part task per folder (the rows of its files as DuckDB reads them), and a project certifying
    it (``partitioned: true``) on each engine."""
    import pyarrow.parquet as pq

    from datavet.sources.table import literal

    root = tmp_path_factory.mktemp("partitioned")
    source = root / "source"
    pq.write_to_dataset(pq.read_table(datasets["adult"].parquet), source, partition_cols=["race"])
    specs = {}
    for engine in ("duckdb", "spark"):
        spec = adult_spec_dict()
        spec["source"] = {"path": str(source), "partitioned": True}
        spec["engine"] = engine
        specs[engine] = make_project(root / engine, spec, answers_from=REPO / "datasheets" / "adult" / "answers.yaml")
    tasks = []
    for folder in sorted(p for p in source.iterdir() if p.is_dir()):
        files = ", ".join(literal(str(f)) for f in sorted(folder.glob("*.parquet")))
        tasks.append((f"part-{quote(folder.name, safe='')}.parquet",
                      f"SELECT * FROM read_parquet([{files}], hive_partitioning = true, hive_types_autocast = false)"))
    return {"source": source, "tasks": tasks, "on_cluster": root / "on-cluster", "here": root / "here",
            "specs": specs}


@pytest.fixture(scope="module")
def on_cluster(spark_cluster, datasets, partitioned, tmp_path_factory) -> dict:
    """One driver run: checks of Adult and FairFace, the partitioned source's parts written on the
    executors, then its certification with engine: spark."""
    spark = partitioned["specs"]["spark"]
    steps = [*(checks_step(datasets[n], datasets[n].parquet) for n in NAMES),
             {"kind": "write_parts", "tasks": partitioned["tasks"], "folder": str(partitioned["on_cluster"])},
             {"kind": "certify", "spec": str(spark), "root": str(spark.parents[2])}]
    return run_driver(spark_cluster, {"steps": steps}, tmp_path_factory.mktemp("cluster-driver"))


def test_the_driver_ran_on_the_standalone_cluster(spark_cluster, on_cluster):
    assert on_cluster["master"] == spark_cluster.url
    state = spark_cluster.state()
    assert state["aliveworkers"] == 2 and len(state["workers"]) == 2
    apps = [a for a in state["completedapps"] + state["activeapps"] if a["name"] == "datavet"]
    assert apps and apps[-1]["cores"] == 2, apps  # both workers' executors ran its tasks


@pytest.mark.parametrize("name", NAMES)
def test_every_figure_equals_duckdb(on_cluster, datasets, name):
    dataset = datasets[name]
    got = on_cluster["steps"][NAMES.index(name)][name]
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
    assert spark.rows == len(dataset.df) and spark.duplicate_rows == int(dataset.df.duplicated().sum())


def test_the_executors_write_the_duckdb_paths_parts(on_cluster, partitioned):
    """Each part written on an executor (never by the driver) is, byte for byte, the part the DuckDB
    path writes in process; the md5 the executor computed while writing is the file's."""
    from datavet.fsutil import file_md5
    from datavet.registry.dvctree import Entry, entries_of, tree_md5
    from datavet.sources.partitioned import PartTask
    from datavet.sources.spark_parts import write_on_executor

    step = on_cluster["steps"][len(NAMES)]
    written = step["written"]
    here = partitioned["here"]
    here.mkdir()
    expected = {name: write_on_executor(PartTask(name, select), here, memory_limit="256MB", threads=1)
                for name, select in partitioned["tasks"]}
    assert sorted(written.parts) == sorted(expected) == sorted(p.name for p in partitioned["on_cluster"].iterdir())
    for name, part in written.parts.items():
        assert part == expected[name]
        assert part.md5 == file_md5(partitioned["on_cluster"] / name)
        assert (partitioned["on_cluster"] / name).read_bytes() == (here / name).read_bytes()
    listing = [Entry(name, part.md5) for name, part in written.parts.items()]
    assert tree_md5(listing) == tree_md5(entries_of(here)) == tree_md5(entries_of(partitioned["on_cluster"]))
    # the driver wrote none of them, and both workers' executors took part
    pids = {writer.rsplit(":", 1)[1] for writer in written.writers.values()}
    assert str(step["pid"]) not in pids and len(pids) >= 2, written.writers


def figures(report: dict) -> list:
    return sorted(json.dumps([c["check"], c.get("column"), c.get("columns"), c.get("by"), c["success"],
                              c.get("observed"), c.get("failures")], sort_keys=True, default=str)
                  for c in report["checks"])


def test_certified_on_the_cluster_as_on_duckdb(on_cluster, partitioned, datasets):
    """engine: spark certifies the partitioned source as the same ``.dir`` version (the executors
    wrote its parts) with every figure and datasheet fact equal to a DuckDB certification's."""
    from datavet.pipeline import run_all
    from datavet.settings import Settings
    from datavet.spec import load_spec
    from tests.engines.cluster_driver import certified as read_back

    spark = on_cluster["steps"][len(NAMES) + 1]
    path = partitioned["specs"]["duckdb"]
    settings = Settings(project=path.parents[2], home=path.parents[2] / ".datavet")
    loaded = load_spec(path)
    _, cert, _ = run_all(loaded, settings)
    duckdb = {"md5": cert.md5, "rows": cert.rows, **read_back(settings, "adult", cert)}
    assert spark["md5"] == duckdb["md5"] and spark["md5"].endswith(".dir")
    assert sorted(spark["written"].parts) == sorted(name for name, _ in partitioned["tasks"])  # all five
    pids = {writer.rsplit(":", 1)[1] for writer in spark["written"].writers.values()}
    assert str(spark["pid"]) not in pids  # the executors wrote every part, the driver none
    assert spark["report"]["engine"] == "spark" and duckdb["report"]["engine"] == "duckdb"
    assert spark["rows"] == duckdb["rows"] == len(datasets["adult"].df)
    assert figures(spark["report"]) == figures(duckdb["report"]) and len(spark["report"]["checks"]) > 10
    assert spark["datasheet"]["computed"] == duckdb["datasheet"]["computed"]
