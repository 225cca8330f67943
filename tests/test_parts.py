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
from datavet.sources.parts import ROW_GROUP_ROWS, ReadError, write_part, writer_options
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


def _one_writer(table: pa.Table, path: Path) -> None:
    """The reference: one pyarrow ParquetWriter writing the row groups in turn, on one thread."""
    first = table.slice(0, ROW_GROUP_ROWS).combine_chunks() if table.num_rows else None
    with pq.ParquetWriter(path, table.schema, **writer_options(first)) as writer:
        for start in range(0, table.num_rows, ROW_GROUP_ROWS):
            writer.write_table(table.slice(start, ROW_GROUP_ROWS).combine_chunks(), row_group_size=ROW_GROUP_ROWS)


def _many_types(adult: pa.Table) -> pa.Table:
    """Adult's columns plus types and nulls it lacks: nested, dictionary, dates, decimals, bools."""
    import datetime
    import decimal

    ages = adult["c0"].to_pylist()
    extra = {
        "when": pa.array([datetime.date(1990, 1, 1) + datetime.timedelta(days=a * 37) if a % 5 else None
                          for a in ages]),
        "stamp": pa.array([datetime.datetime(2020, 1, 1, a % 24, a % 60, a % 7) for a in ages],
                          pa.timestamp("us", tz="UTC")),
        "money": pa.array([decimal.Decimal(a * 1_234_567).scaleb(-6) if a % 3 else None for a in ages],
                          pa.decimal128(20, 6)),
        "flag": pa.array([a % 2 == 0 if a % 11 else None for a in ages]),
        "tags": pa.array([[f"t{a % 4}"] * (a % 3) for a in ages]),
        "cat": pa.array([f"k{a % 9}" for a in ages]).dictionary_encode(),
        "unique": pa.array([f"row {i}" for i in range(adult.num_rows)], pa.large_string()),
    }
    return pa.table({**{n: adult[n] for n in adult.schema.names}, **extra}).combine_chunks()


@pytest.mark.parametrize("threads", [1, 2, 4])
def test_row_groups_encoded_apart_are_one_writers_bytes(tmp_path: Path, adult: pa.Table, threads: int) -> None:
    """Row groups encoded on several threads and joined are byte for byte the file one writer
    writes, for many types, for one short row group and for no rows at all."""
    table = _many_types(adult)
    for name, rows in {"many": table, "short": table.slice(0, 1_000), "none": table.slice(0, 0)}.items():
        reference, joined = tmp_path / f"{name}-ref.parquet", tmp_path / f"{name}-{threads}.parquet"
        _one_writer(rows, reference)
        part = write_part(rows.to_batches(max_chunksize=50_000), rows.schema, joined, threads=threads)
        assert joined.read_bytes() == reference.read_bytes(), name
        assert part.md5 == file_md5(reference)
        assert pq.read_table(joined).equals(rows)


def test_footer_codec_gives_back_its_bytes(adult: pa.Table) -> None:
    """Decoding then encoding a real footer gives the same bytes; offsets are moved, not rewritten."""
    from datavet.sources.footer import decode, encode, split

    sink = pa.BufferOutputStream()
    pq.write_table(_many_types(adult), sink, compression="zstd", row_group_size=ROW_GROUP_ROWS)
    footer = split(sink.getvalue().to_pybytes())[1]
    assert encode(decode(footer)) == footer


def _dictionary_columns(path: Path) -> set[str]:
    """The columns of ``path`` whose first row group is dictionary-encoded, read from its footer."""
    group = pq.ParquetFile(path).metadata.row_group(0)
    return {group.column(i).path_in_schema for i in range(group.num_columns)
            if "RLE_DICTIONARY" in group.column(i).encodings}


def test_a_dictionary_only_where_values_repeat(tmp_path: Path, adult: pa.Table) -> None:
    """Unique doubles, int64 ids and strings are written plainly (pyarrow's default would keep a
    dictionary as large as each double and id column); repeating columns keep their dictionary, and
    a table whose every column repeats is written exactly as pyarrow's default writes it."""
    import random

    rng = random.Random(7)
    rows = 2 * ROW_GROUP_ROWS + 5
    table = pa.table({
        "measure": pa.array([rng.random() for _ in range(rows)]),
        "id": pa.array(range(10**12, 10**12 + rows), pa.int64()),
        "name": pa.array([f"person {i}" for i in range(rows)]),
        "score": pa.array([round(rng.random() * 4) / 4 for _ in range(rows)]),  # 5 values
        "group": pa.array([["a", "b", None][i % 3] for i in range(rows)]),
        "tags": pa.array([[f"t{i}"] for i in range(rows)]),  # nested: pyarrow's choice
    })
    path = tmp_path / "mixed.parquet"
    write_part(table.to_batches(max_chunksize=100_000), table.schema, path)
    assert _dictionary_columns(path) == {"score", "group", "tags.list.element"}
    assert pq.read_table(path).equals(table)

    values = {n: [v for v in adult[n].to_pylist() if v is not None] for n in adult.schema.names}
    repeating = adult.select([n for n, vs in values.items() if 2 * len(set(vs)) <= len(vs)])
    assert repeating.num_columns >= 8
    ours, default = tmp_path / "ours.parquet", tmp_path / "default.parquet"
    write_part(repeating.to_batches(), repeating.schema, ours)
    pq.write_table(repeating, default, compression="zstd", write_statistics=True, row_group_size=ROW_GROUP_ROWS)
    assert ours.read_bytes() == default.read_bytes()
