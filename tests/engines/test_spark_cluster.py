"""engine: spark on a real standalone cluster (a master and two workers on 127.0.0.1, each its own JVM),
from a driver process pointed at it only through DATAVET_SPARK_MASTER / DATAVET_SPARK_CONF:

* every figure of every check and the datasheet profile equal the DuckDB path's;
* a Hive-partitioned source's parts written by the executors (datavet.sources.spark_parts) are the
  DuckDB path's bytes, with the same ``.dir`` md5, and the checks on them give the same figures.
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


def checks_step(dataset, parquet: Path) -> dict:
    return {"kind": "checks", "datasets": [{"root": str(dataset.loaded.root), "parquet": str(parquet),
                                            "spec": str(dataset.loaded.path)}]}


@pytest.fixture(scope="module")
def partitioned(datasets, tmp_path_factory) -> dict:
    """Adult as a Hive-style directory partitioned by race (five folders, pyarrow's writer), and one
    part task per folder: the rows of its files as the DuckDB path reads them."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from datavet.sources.table import literal

    root = tmp_path_factory.mktemp("partitioned")
    source = root / "source"
    pq.write_to_dataset(pa.Table.from_pandas(datasets["adult"].df, preserve_index=False), source,
                        partition_cols=["race"])
    tasks = []
    for folder in sorted(p for p in source.iterdir() if p.is_dir()):
        files = ", ".join(literal(str(f)) for f in sorted(folder.glob("*.parquet")))
        tasks.append((f"part-{quote(folder.name, safe='')}.parquet",
                      f"SELECT * FROM read_parquet([{files}], hive_partitioning = true, hive_types_autocast = false)"))
    return {"source": source, "tasks": tasks, "on_cluster": root / "on-cluster", "here": root / "here"}


@pytest.fixture(scope="module")
def on_cluster(spark_cluster, datasets, partitioned, tmp_path_factory) -> dict:
    """One driver run: checks of Adult and FairFace, the partitioned source's parts written on the
    executors, then the checks on those parts."""
    steps = [*(checks_step(datasets[n], datasets[n].parquet) for n in NAMES),
             {"kind": "write_parts", "tasks": partitioned["tasks"], "folder": str(partitioned["on_cluster"])},
             checks_step(datasets["adult"], partitioned["on_cluster"])]
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
    identifying = dataset.loaded.spec.columns_with_role("identifying")
    assert spark.rows == len(dataset.df) and spark.duplicate_rows == int(dataset.df.duplicated().sum())
    if identifying:
        kept = dataset.df.drop(columns=identifying)
        assert spark.duplicate_rows_without_identifying == int(kept.duplicated().sum())


def test_the_executors_write_the_duckdb_paths_parts(on_cluster, partitioned):
    """Each part written on an executor (never by the driver) is, byte for byte, the part the DuckDB
    path writes in process; the md5 the executor computed while writing is the file's."""
    from datavet.fsutil import file_md5
    from datavet.registry.dvctree import Entry, entries_of, tree_md5
    from datavet.sources.spark_parts import PartTask, write_task

    step = on_cluster["steps"][len(NAMES)]
    written = step["written"]
    here = partitioned["here"]
    here.mkdir()
    expected = {name: write_task(PartTask(name, select), here, memory_limit="256MB", threads=1)
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


def test_checks_on_the_parts_equal_the_single_file_version(on_cluster, datasets, partitioned):
    """The partitioned version holds the same rows as the single-file one: every figure on the
    executors' parts (Spark, on the cluster) equals DuckDB's on the single file."""
    adult = datasets["adult"]
    got = on_cluster["steps"][len(NAMES) + 1]["adult"]
    expected = run_checks(adult.loaded, adult.parquet, engine="duckdb", settings=adult.settings, store=False)
    def key(c):  # the parts hold the partition column last, so the per-column checks come in another order
        return repr((c.check, c.column, c.columns, c.by, c.breakdown))

    assert sorted(map(key, got["checks"])) == sorted(map(key, expected.checks))
    for x, y in zip(sorted(expected.checks, key=key), sorted(got["checks"], key=key), strict=True):
        assert close(x.observed, y.observed, 1e-12), (x.check, x.column, x.observed, y.observed)
        assert (x.success, x.failures) == (y.success, y.failures), (x.check, x.column)
    assert got["profile"].rows == len(adult.df) and got["profile"].duplicate_rows == int(adult.df.duplicated().sum())
