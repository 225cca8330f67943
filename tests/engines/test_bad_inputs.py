"""Bad input on the database and Spark paths: each a DataError naming the dataset and the fix,
with no password in the message and nothing left in the staging folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from datavet.engines.base import ParquetTable
from datavet.engines.sql import SqlEngine
from datavet.errors import DataError
from datavet.sources import source_for
from datavet.sources.sql import sql_table
from tests.conftest import require_pyspark
from tests.engines.test_sql import URL_ENV, sql_loaded
from tests.pg import PASSWORD, free_port

REPO = Path(__file__).resolve().parents[2]
WRONG = "wrong-Pw-4471"

CASES = {
    # name: (url from the server, sql block, words the message must hold, words of the fix)
    "unreachable server": (lambda s: s.url(port=free_port()), {"table": "public.adult"},
                           "cannot reach the database server", "host and port"),
    "wrong credentials": (lambda s: s.url(password=WRONG), {"table": "public.adult"},
                          "refused the credentials", "user and password"),
    "missing table": (lambda s: s.url(), {"table": "public.no_such_table"}, "does not exist", "source.sql.table"),
    "failing query": (lambda s: s.url(), {"query": "SELECT age FROM adult WHERE 100 / (age - age) > 1"},
                      "rejected the statement", "correct it"),
    "query with an unknown column": (lambda s: s.url(), {"query": "SELECT no_such_column FROM adult"},
                                     "rejected the statement", "correct it"),
}


def assert_clear(exc: DataError, *words: str) -> None:
    text = str(exc)
    assert "dataset 'broken'" in text and "Fix:" in text, text
    for word in words:
        assert word in text, text
    assert PASSWORD not in text and WRONG not in text, text


@pytest.mark.parametrize("case", list(CASES))
def test_source_and_engine_fail_clearly(case, postgres, tmp_path, monkeypatch):
    url, sql, *words = CASES[case]
    monkeypatch.setenv(URL_ENV, url(postgres))
    loaded, settings = sql_loaded(tmp_path / "p", name="broken", **sql)
    staging = tmp_path / "staging"
    with pytest.raises(DataError) as version_error:
        source_for(loaded, settings).materialise(staging)
    assert_clear(version_error.value, *words)
    assert list(staging.iterdir()) == []  # nothing half written
    engine = SqlEngine(settings)
    try:
        with pytest.raises(DataError) as check_error:
            engine.gx_batch(sql_table(loaded))
    finally:
        engine.close()
    assert_clear(check_error.value, *words)


def test_url_variable_not_set(tmp_path, monkeypatch):
    monkeypatch.delenv(URL_ENV, raising=False)
    loaded, settings = sql_loaded(tmp_path, name="broken", table="public.adult")
    with pytest.raises(DataError) as exc:
        source_for(loaded, settings).columns()
    assert_clear(exc.value, URL_ENV, f"export {URL_ENV}=postgresql://")


def test_a_column_type_spark_cannot_read(spark_session, tmp_path):
    """Nanosecond timestamps: Spark 4 refuses them; the error names the column and the fix."""
    from datavet.engines.spark import SparkEngine
    from datavet.settings import Settings

    path = tmp_path / "ns.parquet"
    frame = pd.DataFrame({"id": [1, 2], "seen": pd.to_datetime(["2024-01-01", "2024-01-02"]).as_unit("ns")})
    frame.to_parquet(path, coerce_timestamps=None, allow_truncated_timestamps=False)
    with pytest.raises(DataError) as exc:
        SparkEngine(Settings(project=tmp_path)).gx_batch(ParquetTable(path))
    text = str(exc.value)
    assert "column 'seen'" in text and "nanosecond timestamps" in text and "microsecond" in text, text


def test_java_missing(tmp_path):
    """Without Java the Spark engine says which Debian package to install (a fresh process: the
    test session's JVM is already running)."""
    require_pyspark()
    code = ("from datavet.engines.spark import SparkEngine\nfrom datavet.settings import Settings\n"
            "from datavet.engines.base import ParquetTable\nfrom pathlib import Path\n"
            "SparkEngine(Settings(project=Path('.'))).columns(ParquetTable(Path('x.parquet')))\n")
    path = os.pathsep.join([str(REPO / "plugins"), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "JAVA_HOME": str(tmp_path / "no-java"), "PYTHONPATH": path}
    proc = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode != 0
    assert "DataError" in proc.stderr and "openjdk-17-jre-headless" in proc.stderr, proc.stderr[-2000:]
