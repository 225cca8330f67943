"""``datavet.sources.parts.write_part``: one part's bytes depend on its rows and schema alone.

The Spark engineer's executors call it inside ``mapInArrow`` with batches cut however Spark cuts
them; the version stage calls it with DuckDB's batches. The same rows must give the same md5
either way, equal to the bytes ``write_version`` writes for the same rows.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from datavet.fsutil import file_md5
from datavet.sources.parts import ROW_GROUP_ROWS, ReadError, write_part
from datavet.sources.table import connect, literal, write_version
from tests.conftest import SHARED_DATA


@pytest.fixture(scope="module")
def adult() -> pa.Table:
    """Adult census rows, nine times over: three row groups (two full, one short)."""
    names = [f"c{i}" for i in range(15)]
    one = pacsv.read_csv(SHARED_DATA / "adult.data", read_options=pacsv.ReadOptions(column_names=names))
    return pa.concat_tables([one] * 9).combine_chunks()


def test_same_rows_same_bytes_however_batched(tmp_path: Path, adult: pa.Table) -> None:
    schema = adult.schema
    cuts = {"one": [adult.to_batches()[0]], "small": adult.to_batches(max_chunksize=7_001),
            "large_string": [b for b in adult.cast(pa.schema([pa.field(f.name, pa.large_string())
                                                              if pa.types.is_string(f.type) else f
                                                              for f in schema])).to_batches(max_chunksize=50_000)]}
    parts = {name: write_part(batches, schema, tmp_path / f"{name}.parquet") for name, batches in cuts.items()}
    assert len({p.md5 for p in parts.values()}) == 1
    for name, part in parts.items():
        path = tmp_path / f"{name}.parquet"
        assert part.md5 == file_md5(path)
        meta = pq.ParquetFile(path).metadata
        assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == \
            [ROW_GROUP_ROWS, ROW_GROUP_ROWS, adult.num_rows - 2 * ROW_GROUP_ROWS]
        assert pq.read_table(path).equals(adult)
    assert parts["one"].rows == adult.num_rows
    assert parts["one"].nulls == {n: adult[n].null_count for n in schema.names}


def test_write_version_is_write_part(tmp_path: Path, adult: pa.Table) -> None:
    """A single-file version and a part of the same rows are the same bytes."""
    source = tmp_path / "adult.parquet"
    pq.write_table(adult, source)
    con = connect(None)
    try:
        made = write_version(con, f"SELECT * FROM read_parquet({literal(str(source))})", tmp_path / "v.parquet")
    finally:
        con.close()
    part = write_part(adult.to_batches(max_chunksize=10_000), adult.schema, tmp_path / "p.parquet")
    assert made.md5 == part.md5


def test_reader_error_is_read_error(tmp_path: Path, adult: pa.Table) -> None:
    def broken():
        yield adult.to_batches()[0]
        raise RuntimeError("executor lost")

    with pytest.raises(ReadError, match="executor lost"):
        write_part(broken(), adult.schema, tmp_path / "x.parquet")
