"""Fixtures for the engine tests: each real dataset as datavet reads it, its Parquet version, and
the same rows in PostgreSQL (the session's ``postgres`` server loads them as public.<dataset>)."""

from __future__ import annotations

from pathlib import Path

import pytest

from datavet.ingest import read_source, write_parquet
from tests.checks.conftest import Project
from tests.engines.datasets import DATASETS


class Dataset(Project):
    """A dataset's project, frame and Parquet version (Project writes them), and its table name."""

    def __init__(self, root: Path, name: str) -> None:
        super().__init__(root, DATASETS[name]())
        self.name = name


@pytest.fixture(scope="session")
def datasets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Dataset]:
    root = tmp_path_factory.mktemp("engine-datasets")
    return {name: Dataset(root / name, name) for name in DATASETS}


@pytest.fixture(scope="session")
def spark_cluster():
    """A Spark standalone master and two workers on 127.0.0.1 (tests/spark_cluster.py), stopped after."""
    from datavet.engines.spark import missing_requirement
    from tests.conftest import require
    from tests.spark_cluster import start_cluster

    require(missing_requirement())
    cluster = start_cluster(workers=2)
    try:
        yield cluster
    finally:
        cluster.stop()


__all__ = ["Dataset", "read_source", "write_parquet"]
