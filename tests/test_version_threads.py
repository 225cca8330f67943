"""The version's bytes do not depend on how many threads parse the source, nor on DuckDB's memory.

DuckDB parses a CSV on every thread it has and its own Parquet writer encodes on every thread
(``datavet.sources.table._copy``); the rows must still arrive in the file's order and be cut into
the same row groups. A source of several row groups is read with 1, 2 and 4 threads and once with
a tight memory limit: the md5 is the same each time, and the rows, columns and types are those of
``pandas.read_csv`` (the pandas path's schema, ``datavet.ingest.arrow_schema``). The bytes are
DuckDB's, so they differ from those of datavet releases that wrote a CSV's version with pyarrow.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from datavet.fsutil import file_md5
from datavet.ingest import arrow_schema
from datavet.settings import Settings
from datavet.sources import source_for
from datavet.sources.table import ROW_GROUP_ROWS
from datavet.spec import LoadedSpec, parse_spec
from tests.conftest import SHARED_DATA, adult_spec_dict

THREADS = (1, 2, 4)


def _materialise(root: Path, csv: Path, options: dict, threads: int, staging: str, memory: str = "1GB"):
    data = {"name": "people", "title": "people", "owner": "tests@example.org", "license": "CC0",
            "source": {"path": str(csv), "format": "csv", "options": options}, "columns": {}, "checks": {}}
    path = root / "datasheets" / "people" / "dataset.yaml"
    loaded = LoadedSpec(spec=parse_spec(data, path), path=path, root=root)
    settings = Settings(project=root, duckdb_threads=threads, duckdb_memory_limit=memory)
    return source_for(loaded, settings).materialise(root / staging)


@pytest.fixture(scope="module")
def adult_rows(tmp_path_factory) -> tuple[Path, dict]:
    """UCI Adult nine times over (293,049 rows: two full row groups and a part), each line numbered
    so that two rows swapped between copies would change the bytes."""
    folder = tmp_path_factory.mktemp("threads")
    lines = [line for line in (SHARED_DATA / "adult.data").read_text().splitlines() if line.strip()]
    csv = folder / "adult9.csv"
    with open(csv, "w") as out:
        for i, line in enumerate(lines * 9):
            out.write(f"{i}, {line}\n")
    options = dict(adult_spec_dict()["source"]["options"])
    options["names"] = ["row", *options["names"]]
    return csv, options


def test_the_md5_is_the_same_with_one_two_and_four_threads_and_the_rows_are_pandas(tmp_path, adult_rows):
    csv, options = adult_rows
    made = {t: _materialise(tmp_path, csv, options, t, f"v{t}") for t in THREADS}
    made["tight"] = _materialise(tmp_path, csv, options, 4, "tight", memory="150MB")
    assert len({m.md5 for m in made.values()}) == 1, {t: m.md5 for t, m in made.items()}
    one = made[1]
    assert one.md5 == file_md5(one.table)  # hashed behind the writer: the md5 of the file as stored
    meta = pq.ParquetFile(one.table).metadata
    groups = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
    assert len(groups) == 3 and all(abs(g - ROW_GROUP_ROWS) <= 2048 for g in groups[:-1]), groups
    expected = pd.read_csv(csv, keep_default_na=False, na_values=[""], **options)
    assert one.rows == sum(groups) == len(expected) == 9 * 32561
    as_pandas = pa.Table.from_pandas(expected, schema=arrow_schema(expected), preserve_index=False)
    stored = pq.read_table(one.table)
    assert stored.schema.remove_metadata().equals(as_pandas.schema.remove_metadata())
    assert stored.replace_schema_metadata(None).equals(as_pandas.replace_schema_metadata(None))


def test_float_heavy_rows_give_the_same_md5_whatever_the_threads(tmp_path):
    """Floats of 17 significant digits, some cells empty (where parsing costs most): the same
    bytes with 1, 2 and 4 threads, and the values DuckDB's own reader gives, in the file's order."""
    csv = tmp_path / "floats.csv"
    duckdb.sql(f"""COPY (SELECT i AS row, CASE WHEN hash(i) % 50 = 0 THEN NULL
                    ELSE printf('%.17g', (hash(i + 1) % 100000000000000000)::DOUBLE / 1e13) END AS f1,
                    printf('%.17g', (hash(i + 2) % 100000000000000000)::DOUBLE / 1e5) AS f2
                FROM range(300000) t(i)) TO '{csv}' (FORMAT csv)""")
    made = {t: _materialise(tmp_path, csv, {}, t, f"v{t}") for t in THREADS}
    assert len({m.md5 for m in made.values()}) == 1, {t: m.md5 for t, m in made.items()}
    assert made[2].md5 == file_md5(made[2].table)
    got = pd.read_parquet(made[4].table)
    by_duckdb = duckdb.sql(f"SELECT * FROM read_csv('{csv}') ORDER BY row").df()
    assert got["row"].tolist() == list(range(300000))
    pd.testing.assert_frame_equal(got, by_duckdb, check_dtype=False, check_exact=True)
