"""One Parquet part of a version, written from a stream of Arrow record batches.

This is the one writer every table version goes through: a single-file table version
(:func:`datavet.sources.table.write_version`, a SQL table or query's) and each part of a
partitioned version, whoever streams the rows (DuckDB in this process, a SQL cursor, or a Spark
executor inside ``mapInArrow``). A frame written whole (``datavet.ingest.write_parquet``: a file
tree's own table) gets the same choices (:func:`writer_options`).

Byte-determinism contract of :func:`write_part`: given

* the same ``schema`` (names, types and nullability; metadata is dropped before writing),
* the same rows in the same order (however they are cut into batches),
* the same pyarrow version (its ``created_by`` string is in the footer),

it writes the same bytes, so the same md5: zstd, statistics on, no schema metadata, row groups of
exactly ``ROW_GROUP_ROWS`` rows (the last one shorter), cut here and not by the caller, and a
dictionary only for the columns whose values repeat in the first row group (:func:`writer_options`).
Batches are cast to ``schema`` (safe casts only), so a Spark batch with the same values gives the
bytes DuckDB's would. With several threads row groups are encoded apart and joined in order; the
bytes are the same whatever the number of threads (:mod:`datavet.sources.footer`). The file is
hashed while it is written (no second pass).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from datavet.errors import DatavetError
from datavet.sources.follow import HashBehind
from datavet.sources.footer import Joiner

if TYPE_CHECKING:  # pragma: no cover
    import duckdb
    import pyarrow as pa

# Rows per row group: with fewer rows a version is one row group, byte for byte what the pandas
# reader wrote before. Measured on 3M rows x 16 columns: 373 MB peak and 11 s, against 557 MB and
# 19 s with pyarrow's default of 1M rows.
ROW_GROUP_ROWS = 1 << 17


class ReadError(Exception):
    """Reading the source failed while its rows streamed (the reader's message, for the source to explain)."""


@dataclass(frozen=True)
class Part:
    """What :func:`write_part` wrote: the file's md5, its rows and the nulls per column."""

    md5: str
    rows: int
    nulls: dict[str, int]


def write_part(batches: Iterable[pa.RecordBatch], schema: pa.Schema, out: Path, *,
               on_rows: Callable[[int], None] | None = None, read_ahead: bool = True,
               threads: int = 1) -> Part:
    """Write ``batches`` (rows of ``schema``, in order) to ``out`` as one deterministic Parquet file.

    ``out`` is written in place (the caller renames it into its final place). ``on_rows`` is told
    each row group's rows as it is written. With ``read_ahead`` the batches are produced on a second
    thread. Row groups are encoded on ``threads`` threads (:func:`write_groups`; a caller with cores
    to spare says how many, :func:`encoders_for`): the bytes are those one ``ParquetWriter`` writes,
    whatever the number of threads. An error raised by the batch iterator is raised here as
    :class:`ReadError`."""
    schema = schema.remove_metadata()
    return write_groups(row_groups(batches, schema), schema, out, on_rows=on_rows, read_ahead=read_ahead,
                        threads=threads)


def write_groups(groups: Iterable[pa.Table], schema: pa.Schema, out: Path, *,
                 on_rows: Callable[[int], None] | None = None, read_ahead: bool = False,
                 threads: int = 1) -> Part:
    """Write each of ``groups`` (tables of ``schema``, each of at most ``ROW_GROUP_ROWS`` rows) as one
    row group of ``out``, in order: :func:`write_part` once its rows are cut into row groups, and
    any writer whose row groups are cut elsewhere (a splits version's whole table: one split's rows
    never share a row group with the next split's). With one thread a ``ParquetWriter`` streams them
    into ``out``; with more, each is encoded apart and they are joined (the same bytes)."""
    schema = schema.remove_metadata()
    nulls = dict.fromkeys(schema.names, 0)
    rows = 0

    def counted(tables: Iterable[pa.Table]) -> Iterator[pa.Table]:
        nonlocal rows
        for table in tables:
            rows += table.num_rows
            if on_rows is not None:
                on_rows(table.num_rows)
            for name, column in zip(schema.names, table.columns, strict=True):
                nulls[name] += column.null_count
            yield table

    tables = counted(_read_ahead(groups) if read_ahead else groups)
    first = next(tables, None)
    options = writer_options(first)
    if first is not None:
        tables = itertools.chain([first], tables)
    hasher = HashBehind(out)
    try:
        if threads <= 1:
            _write_streamed(tables, schema, out, hasher, options)
        else:
            _write_joined(tables, schema, out, hasher, threads, options)
    finally:
        hasher.stop()
    return Part(md5=hasher.finish(), rows=rows, nulls=nulls)


# every version's writer settings: zstd, statistics, no page index or bloom filter (footer.py joins
# row groups only without them); the dictionary per column: writer_options
WRITER = {"compression": "zstd", "write_statistics": True}
# What a part's bytes follow from besides its rows, its schema and pyarrow's version: raised whenever
# this writer's choices change, so that no part remembered by its source's fingerprint
# (partitioned.py, sql_parts.py, csv_glob.py) is reused under other choices. 2: writer_options.
LAYOUT = 2


def writer_options(first: pa.Table | None) -> dict:
    """``WRITER`` and the columns to dictionary-encode, chosen on the first row group alone (the
    first ``ROW_GROUP_ROWS`` rows of ``first``, so the bytes still follow from the rows): a column
    whose non-null values repeat there, on average at least twice each; a nested or dictionary-typed
    one, or one whose values Arrow cannot count, as pyarrow chooses. pyarrow's default, a dictionary
    for every column until it outgrows 1 MiB, keeps one as large as the column itself for unique
    8-byte values, since 131,072 of them (``ROW_GROUP_ROWS``) are exactly that limit: doubles of
    17 digits or int64 ids stored as a dictionary plus an index per row, 25 % more bytes and 2.7x
    the encoding's CPU; unique strings are hashed until the limit and then written plainly. A
    column given a dictionary here is written as pyarrow's default writes it."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if first is None or first.num_rows == 0:
        return dict(WRITER)
    first = first.slice(0, ROW_GROUP_ROWS)
    plain = set()
    for field, column in zip(first.schema, first.columns, strict=True):
        if pa.types.is_nested(field.type) or pa.types.is_dictionary(field.type):
            continue
        valid = len(column) - column.null_count
        try:
            distinct = pc.count_distinct(column, mode="only_valid").as_py()
        except pa.ArrowException:  # a type count_distinct does not take (string views): pyarrow's choice
            continue
        if 2 * distinct > valid:
            plain.add(field.name)
    if not plain:
        return dict(WRITER)
    return {**WRITER, "use_dictionary": [p for p in leaf_paths(first.schema) if p not in plain]}


def leaf_paths(schema: pa.Schema) -> list[str]:
    """The Parquet column paths of ``schema`` as pyarrow names them (``tags.list.element``), from
    the footer of a file with no rows."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = pa.BufferOutputStream()
    pq.write_table(schema.empty_table(), sink, **WRITER)
    parquet = pq.read_metadata(pa.BufferReader(sink.getvalue())).schema
    return [parquet.column(i).path for i in range(len(parquet))]


def _write_streamed(tables: Iterable[pa.Table], schema: pa.Schema, out: Path, hasher: HashBehind,
                    options: dict) -> None:
    """One ``ParquetWriter`` on this thread: on 2 cores, where DuckDB's parse and conversion keep the
    other core busy, cheaper than encoding apart and joining (README, issue 24)."""
    import pyarrow.parquet as pq

    with pq.ParquetWriter(out, schema, **options) as writer:
        hasher.start()
        for table in tables:
            writer.write_table(table, row_group_size=ROW_GROUP_ROWS)  # releases the GIL


def _write_joined(tables: Iterable[pa.Table], schema: pa.Schema, out: Path, hasher: HashBehind,
                  threads: int, options: dict) -> None:
    """Each row group encoded on one of ``threads`` threads as a file of its own in memory, the files
    joined in order (datavet.sources.footer) into the bytes one writer writes."""
    with open(out, "wb") as fh:
        joiner = Joiner(fh.write)
        hasher.start()
        written = 0
        for encoded in _encoded(tables, schema, threads, options):
            joiner.add(encoded)
            written += 1
        if not written:  # no rows: the file a writer given none writes
            joiner.add(_encode(None, schema, options))
        joiner.finish()


def write_select(con: duckdb.DuckDBPyConnection, select: str, out: Path, *,
                 on_rows: Callable[[int], None] | None = None) -> tuple[Part, pa.Schema]:
    """Stream the rows of DuckDB's ``select`` into ``out`` (:func:`write_part`, on the encoders
    :func:`encoders_for` gives); returns what was written and the rows' schema. The threads are read
    before the reader opens: a second query on ``con`` would silently end its pending stream."""
    threads = encoders_for(con)
    reader = con.sql(select).to_arrow_reader(ROW_GROUP_ROWS)
    schema = reader.schema.remove_metadata()
    return write_part(_batches_of(reader), schema, out, on_rows=on_rows, threads=threads), schema


def encoders_for(con: duckdb.DuckDBPyConnection) -> int:
    """Threads to encode the rows DuckDB streams from ``con``: one fewer than the threads it may use
    (``Settings.duckdb_threads``), at least one. Its parse and Arrow conversion keep the others busy:
    on 2 cores two encoders wrote a 10M-row version no faster than one, and held 80 MB more (README)."""
    return max(1, int(con.sql("SELECT current_setting('threads')").fetchone()[0]) - 1)


def _encode(table: pa.Table | None, schema: pa.Schema, options: dict):
    """``table`` (one row group, or no rows at all) as a whole Parquet file in memory."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = pa.BufferOutputStream()
    with pq.ParquetWriter(sink, schema, **options) as writer:
        if table is not None:
            writer.write_table(table, row_group_size=ROW_GROUP_ROWS)  # releases the GIL
    return memoryview(sink.getvalue())


def _encoded(tables: Iterable[pa.Table], schema: pa.Schema, threads: int, options: dict) -> Iterator:
    """The Parquet file of each of ``tables``, in order, encoded on ``threads`` threads; at most
    ``threads + 1`` row groups are being encoded or waiting at once."""
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    pending: deque = deque()
    with ThreadPoolExecutor(threads, thread_name_prefix="datavet-encode") as pool:
        try:
            for table in tables:
                pending.append(pool.submit(_encode, table, schema, options))
                if len(pending) > threads:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


def row_groups(batches: Iterable[pa.RecordBatch], schema: pa.Schema) -> Iterator[pa.Table]:
    """The rows as single-chunk tables of exactly ``ROW_GROUP_ROWS`` rows (the last one shorter),
    whatever sizes the batches come in: the bytes written depend on the rows alone."""
    import pyarrow as pa

    pending: list = []  # batches not yet written
    count = 0
    stream = iter(batches)
    while True:
        try:
            batch = next(stream)
        except StopIteration:
            break
        except DatavetError:  # the source's own clear error (a value it cannot store)
            raise
        except Exception as exc:  # the reader's error (DuckDB's, raised through the Arrow stream)
            raise ReadError(str(exc)) from exc
        if batch.num_rows == 0:
            continue
        if not batch.schema.remove_metadata().equals(schema):
            batch = pa.Table.from_batches([batch]).cast(schema).combine_chunks().to_batches()[0]
        pending.append(batch)
        count += batch.num_rows
        while count >= ROW_GROUP_ROWS:
            table = pa.Table.from_batches(pending, schema=schema)
            yield table.slice(0, ROW_GROUP_ROWS).combine_chunks()
            rest = table.slice(ROW_GROUP_ROWS)
            pending, count = rest.to_batches(), rest.num_rows
    if count:
        yield pa.Table.from_batches(pending, schema=schema).combine_chunks()


def _batches_of(reader) -> Iterator[pa.RecordBatch]:
    """The batches of a ``pyarrow.RecordBatchReader`` (DuckDB's ``to_arrow_reader``) as an iterator."""
    while True:
        try:
            yield reader.read_next_batch()
        except StopIteration:
            return


def _read_ahead(groups: Iterator, depth: int = 2) -> Iterator:
    """``groups`` produced by a second thread while the encoders compress the previous ones:
    DuckDB's reading and pyarrow's zstd both release the GIL. At most ``depth`` row groups wait in memory;
    the order, and so the bytes, are unchanged. An error in the reader is raised here."""
    import queue
    import threading
    from contextlib import suppress

    handoff: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def produce() -> None:
        try:
            for item in groups:
                while not stop.is_set():
                    try:
                        handoff.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            handoff.put(done)
        except BaseException as exc:  # handed to the consumer, raised in its thread
            handoff.put(exc)

    worker = threading.Thread(target=produce, name="datavet-version-reader", daemon=True)
    worker.start()
    try:
        while (item := handoff.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()  # the writer failed or stopped early: let the reader end
        while worker.is_alive():
            with suppress(queue.Empty):
                handoff.get(timeout=0.1)
        worker.join()
