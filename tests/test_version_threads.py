"""The version's bytes do not depend on how many threads parse the source.

DuckDB parses a CSV on every thread it has and its parse threads run ahead of the conversion to
Arrow (``datavet.sources.table.STREAM_BUFFER``); the rows must still arrive in the file's order and be
cut into the same row groups. A source of several row groups is read with 1, 2 and 4 threads: the
md5 is the same each time, and equal to the md5 of the bytes pyarrow writes from ``pandas.read_csv``
of the same file (the pandas path before the streaming reader, ``datavet.ingest``) with the same
writer choices (``datavet.sources.parts.writer_options``).
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
from datavet.sources.parts import ROW_GROUP_ROWS, writer_options
from datavet.spec import LoadedSpec, parse_spec
from tests.conftest import SHARED_DATA, adult_spec_dict

THREADS = (1, 2, 4)


def _materialise(root: Path, csv: Path, options: dict, threads: int, staging: str):
    data = {"name": "people", "title": "people", "owner": "tests@example.org", "license": "CC0",
            "source": {"path": str(csv), "format": "csv", "options": options}, "columns": {}, "checks": {}}
    path = root / "datasheets" / "people" / "dataset.yaml"
    loaded = LoadedSpec(spec=parse_spec(data, path), path=path, root=root)
    return source_for(loaded, Settings(project=root, duckdb_threads=threads)).materialise(root / staging)


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


def test_the_md5_is_the_same_with_one_two_and_four_threads_and_equals_the_pandas_paths(tmp_path, adult_rows):
    csv, options = adult_rows
    made = {t: _materialise(tmp_path, csv, options, t, f"v{t}") for t in THREADS}
    assert len({m.md5 for m in made.values()}) == 1, {t: m.md5 for t, m in made.items()}
    one = made[1]
    assert one.md5 == file_md5(one.table)  # hashed behind the writer: the md5 of the file as stored
    groups = [pq.ParquetFile(one.table).metadata.row_group(i).num_rows
              for i in range(pq.ParquetFile(one.table).metadata.num_row_groups)]
    assert groups == [ROW_GROUP_ROWS, ROW_GROUP_ROWS, 9 * 32561 - 2 * ROW_GROUP_ROWS]
    expected = pd.read_csv(csv, keep_default_na=False, na_values=[""], **options)
    assert one.rows == len(expected) == 9 * 32561
    assert one.md5 == _pandas_path_md5(expected, tmp_path / "pandas.parquet")
    assert pd.read_parquet(one.table)["row"].tolist() == list(range(len(expected)))


def _pandas_path_md5(df: pd.DataFrame, out: Path) -> str:
    """The bytes pyarrow writes from the pandas path's table (``datavet.ingest``), cut into row
    groups of ``ROW_GROUP_ROWS`` rows and with the writer's choices for its first row group, as the
    streaming writer cuts and chooses them."""
    table = pa.Table.from_pandas(df, schema=arrow_schema(df), preserve_index=False).replace_schema_metadata(None)
    options = writer_options(table.slice(0, ROW_GROUP_ROWS).combine_chunks())
    assert options.get("use_dictionary") is not None  # the numbered "row" column is unique: written plainly
    pq.write_table(table, out, row_group_size=ROW_GROUP_ROWS, **options)
    return file_md5(out)


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
