"""``source.sql.partition_by`` on a real PostgreSQL 15: one part per partition, and only partitions
whose rows changed are streamed again (row count and a server-side checksum per partition)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from datavet.errors import DataError
from datavet.fsutil import file_md5
from datavet.registry import Registry
from datavet.sources import source_for
from tests.engines.test_sql import URL_ENV, sql_loaded


@pytest.fixture
def pg_env(postgres, monkeypatch):
    monkeypatch.setenv(URL_ENV, postgres.url())
    return postgres


def _version(root: Path, staging: str, **sql):
    """Materialise and cache the version, as the version stage does."""
    loaded, settings = sql_loaded(root, **sql)
    made = source_for(loaded, settings).materialise(root / staging)
    Registry.of(settings).cache_tree(made.path, made.entries, made.staged)
    return made


def test_only_changed_partitions_are_streamed_again(pg_env, datasets, tmp_path):
    adult = datasets["adult"].df
    pg_env.load("adult_parts", adult)
    root = tmp_path / "p"
    first = _version(root, "a", table="adult_parts", partition_by=["race"])
    races = sorted(adult["race"].unique())
    assert sorted(e.relpath for e in first.entries) == [f"part-race%3D{r}.parquet" for r in races]
    assert first.staged == {e.relpath for e in first.entries} and first.rows == len(adult) == 32561
    key = list(adult.columns)
    for entry in first.entries:  # each part: its partition's rows, ordered by every column, as the file says
        part = pd.read_parquet(first.table / entry.relpath)
        assert file_md5(first.table / entry.relpath) == entry.md5
        race = part["race"].iloc[0]
        expected = adult[adult["race"] == race].sort_values(key, ignore_index=True)
        pd.testing.assert_frame_equal(part, expected, check_dtype=False)

    again = _version(root, "b", table="adult_parts", partition_by=["race"])
    assert again.md5 == first.md5 and again.staged == frozenset()  # nothing streamed: every partition known

    # the same row count, other content: the checksum sees it; a new row in another partition too
    pg_env.execute("UPDATE adult_parts SET age = age + 1 WHERE race = 'Other' AND age = 40")
    pg_env.execute("INSERT INTO adult_parts SELECT * FROM adult_parts WHERE race = 'Amer-Indian-Eskimo' LIMIT 1")
    changed = _version(root, "c", table="adult_parts", partition_by=["race"])
    old = {e.relpath: e.md5 for e in first.entries}
    moved = {e.relpath for e in changed.entries if old[e.relpath] != e.md5}
    assert changed.staged == moved == {"part-race%3DOther.parquet", "part-race%3DAmer-Indian-Eskimo.parquet"}
    other = pd.read_parquet(changed.table / "part-race%3DOther.parquet")
    assert int((other["age"] == 41).sum()) == int(((adult["race"] == "Other") & adult["age"].isin([40, 41])).sum())
    assert changed.rows == 32562


def test_partition_by_names_a_column(pg_env, datasets, tmp_path):
    loaded, settings = sql_loaded(tmp_path / "p", table="public.adult", partition_by=["nation"])
    with pytest.raises(DataError, match=r"partition_by names \['nation'\]") as info:
        source_for(loaded, settings).materialise(tmp_path / "v")
    assert info.value.dataset == "adult_db" and info.value.column == "nation"
    assert not (tmp_path / "v" / "parts").exists() or not any((tmp_path / "v" / "parts").iterdir())


def _certify_sql(root: Path, **sql) -> tuple[Any, list]:
    import json

    import yaml

    from datavet.pipeline import registry_for, run_all
    from datavet.settings import Settings
    from datavet.spec import load_spec
    from tests.conftest import ADULT_SPEC, adult_spec_dict

    spec = adult_spec_dict()
    spec["source"] = {"sql": {"url_env": URL_ENV, "table": "public.adult", **sql}}
    spec["engine"] = "sql"
    folder = root / "datasheets" / "adult"
    folder.mkdir(parents=True)
    (folder / "answers.yaml").write_text((ADULT_SPEC.parent / "answers.yaml").read_text())
    spec["datasheet"] = "datasheets/adult/answers.yaml"
    (root / "expectations").mkdir()
    (folder / "dataset.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    settings = Settings(project=root, home=root / ".datavet")
    _, cert, created = run_all(load_spec(folder / "dataset.yaml"), settings)
    assert created
    registry = registry_for(settings)
    report = json.loads(registry.show(cert.tag, registry.validation_path("adult", cert.md5)))
    figures = sorted(json.dumps([c["check"], c.get("column"), c.get("columns"), c.get("by"), c["success"],
                                 c.get("observed"), c.get("failures")], sort_keys=True) for c in report["checks"])
    return cert, figures


def test_a_partitioned_table_certifies_with_the_figures_of_one_file(pg_env, tmp_path):
    """Versioned by partition, validated by DuckDB on the folder of parts: the figures of the
    one-file version of the same table; the password is nowhere in the registry."""
    from tests.pg import PASSWORD

    parts, by_parts = _certify_sql(tmp_path / "parts", partition_by=["sex"])
    one, whole = _certify_sql(tmp_path / "one")
    assert parts.md5.endswith(".dir") and not one.md5.endswith(".dir")
    assert parts.rows == one.rows == 32561 and by_parts == whole and len(whole) > 10
    texts = [p.read_bytes() for p in (tmp_path / "parts").rglob("*") if p.is_file() and ".git" not in p.parts]
    assert texts and not [t for t in texts if PASSWORD.encode() in t]


def _terminate_when_fetching(server, stop) -> None:
    """Terminate the backend that fetches a partition's rows through a server-side cursor once it
    has fetched its second batch (SQLAlchemy fetches one row, then 49,999, then 50,000 at a time):
    the database going away in the middle of a stream, as a restart or a failover does."""
    import time

    import psycopg2

    conn = psycopg2.connect(server.dsn())
    conn.autocommit = True  # each poll sees the activity as it is now, not a transaction's snapshot
    try:
        cur = conn.cursor()
        while not stop.is_set():
            cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE query LIKE 'FETCH FORWARD 49999 %' AND pid <> pg_backend_pid()")
            if cur.fetchall():
                return
            time.sleep(0.02)
    finally:
        conn.close()


@pytest.mark.parametrize("partition_by", [["half"], []])
def test_a_connection_lost_while_the_rows_stream_is_explained(pg_env, tmp_path, partition_by):
    """The rows (of a partition, or of the whole table) stream through the version's writer; the
    server ending the connection midway is the driver's error explained (a DataError naming the
    dataset and the fix, the URL's password nowhere), not the writer's stream error as a traceback."""
    import threading

    pg_env.execute("DROP TABLE IF EXISTS big_parts; CREATE TABLE big_parts AS SELECT n, n % 2 AS half, "
                   "md5(n::text) AS t FROM generate_series(1, 1000000) AS n")
    loaded, settings = sql_loaded(tmp_path / "p", table="public.big_parts", partition_by=partition_by)
    stop = threading.Event()
    killer = threading.Thread(target=_terminate_when_fetching, args=(pg_env, stop), daemon=True)
    killer.start()
    try:
        with pytest.raises(DataError) as info:
            source_for(loaded, settings).materialise(tmp_path / "a")
    finally:
        stop.set()
        killer.join(timeout=10)
    text = str(info.value)
    assert info.value.dataset == "adult_db" and "cannot read" in text and "closed the connection" in text, text
    assert info.value.fix and pg_env.url().split("@")[0].split(":")[-1] not in text  # no password
    assert not list((tmp_path / "a").rglob("*.parquet"))  # nothing half written left in place
