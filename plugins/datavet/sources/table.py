"""What the table sources (CSV, Parquet) share: where a source may be, the DuckDB connection they
stream through, the column types a version holds, and writing that version as one Parquet file.

DuckDB reads the source and writes the Parquet file out of core (it spills past its memory limit),
so memory stays bounded whatever the number of rows. The bytes are deterministic: the row order is
the source's, the types are fixed before writing, and the writer's row groups follow from the rows
alone, so the same source bytes give the same md5 run after run.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from datavet.errors import ColumnNotFoundError, DataError
from datavet.fsutil import new_temp_file
from datavet.sources.base import Materialised
from datavet.sources.parts import ReadError, write_select

if TYPE_CHECKING:  # pragma: no cover
    import duckdb
    import pyarrow as pa

    from datavet.settings import Settings
    from datavet.spec import LoadedSpec

PATH_FIX = "check source.path in the spec (relative paths start at the project root)"

# The types a version holds, as pandas read them before: text, int64, float64 (and, from Parquet
# sources, booleans, dates and timestamps). Anything else is kept as its text.
INTEGERS = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER"}
FLOATS = {"FLOAT", "DOUBLE", "UBIGINT", "HUGEINT", "UHUGEINT"}
KEPT = {"BOOLEAN", "DATE", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE"}


def quote(name: str) -> str:
    """A column name as a DuckDB identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A string as a DuckDB literal (paths and names in statements that take no parameters)."""
    return "'" + text.replace("'", "''") + "'"


def version_type(duckdb_type: str) -> str:
    """The type a column of ``duckdb_type`` is stored as in a version."""
    if duckdb_type in INTEGERS:
        return "BIGINT"
    if duckdb_type in FLOATS or duckdb_type.startswith("DECIMAL"):
        return "DOUBLE"
    if duckdb_type.startswith("TIMESTAMP"):
        return "TIMESTAMP WITH TIME ZONE" if "TIME ZONE" in duckdb_type else "TIMESTAMP"
    return duckdb_type if duckdb_type in KEPT else "VARCHAR"


def require_file(source: Path, dataset: str, *, directory_fix: str = "") -> os.stat_result:
    """Say plainly what is wrong with a source path (missing, a loop, not a regular file, 0 bytes)
    instead of a reader's traceback; return its stat for a source that may be a directory."""
    try:
        info = source.stat()
    except FileNotFoundError:
        raise DataError(f"source file {source} does not exist", dataset=dataset, fix=PATH_FIX) from None
    except OSError as exc:
        what = "is a loop of symbolic links" if exc.errno == errno.ELOOP else f"cannot be opened ({exc.strerror})"
        raise DataError(f"source {source} {what}", dataset=dataset, fix=PATH_FIX) from None
    if stat.S_ISDIR(info.st_mode):
        if directory_fix:
            return info
        raise DataError(f"source {source} is a directory, not a data file", dataset=dataset,
                        fix=PATH_FIX + "; name one file, or set source.format: parquet for a directory of "
                                       "Parquet files")
    if not stat.S_ISREG(info.st_mode):
        raise DataError(f"source {source} is not a regular file", dataset=dataset, fix=PATH_FIX)
    if info.st_size == 0:
        raise DataError(f"source file {source} is empty (0 bytes)", dataset=dataset,
                        fix=PATH_FIX + " and that the file was written completely")
    return info


def check_columns_exist(loaded: LoadedSpec, columns) -> None:
    """Every column the spec names is in the data (before any row is read)."""
    present = set(columns)
    wanted = set(loaded.spec.columns) | loaded.spec.referenced_columns()
    missing = sorted(wanted - present)
    if missing:
        raise ColumnNotFoundError(
            f"the spec names column(s) {missing} that are not in the data (columns: {sorted(present)})",
            dataset=loaded.spec.name, column=missing[0],
            fix="fix the column name in the spec, or source.options.names")


def environment_error(exc: Exception, source: Path | None = None) -> OSError | None:
    """A read that failed for want of disk or memory is the environment's fault, not the data's: an
    OSError naming the source being read, which the stages report as a retryable storage failure."""
    text = str(exc)
    where = None if source is None else str(source)
    if "No space left" in text:
        return OSError(errno.ENOSPC, f"no space left for DuckDB's spill files: {text.splitlines()[0]}", where)
    if "Out of Memory" in text or "out of memory" in text:
        return OSError(errno.ENOMEM, f"DuckDB ran out of memory reading it: {text.splitlines()[0]} (raise "
                                     "DATAVET_DUCKDB_MEMORY_LIMIT or free disk for its spill files)", where)
    return None


def read_errors() -> tuple[type[Exception], ...]:
    """What reading a source can raise: DuckDB's errors, and the same met while rows stream."""
    import duckdb

    return duckdb.Error, ReadError


# How far DuckDB's parsing threads may run ahead of the thread converting its rows to Arrow. At
# DuckDB's default (about 1 MB, a few thousand rows) they stop and restart dozens of times per row
# group of ``ROW_GROUP_ROWS``; with room for about two row groups they parse on every core while the
# rows are converted and written. Rows still arrive in the source's order (preserve_insertion_order),
# so the bytes do not depend on the number of threads.
STREAM_BUFFER = "64MB"


def connect(settings: Settings | None, scratch: Path | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with datavet's limits; it spills into ``scratch`` (never the cwd)."""
    import duckdb

    config: dict[str, str | int | bool] = {"preserve_insertion_order": True}
    if settings is not None:
        config |= {"memory_limit": settings.duckdb_memory_limit, "threads": settings.duckdb_threads}
    if scratch is not None:
        config["temp_directory"] = str(scratch / ".duckdb-spill")
    con = duckdb.connect(config=config)
    con.execute("SET enable_progress_bar = false")  # it would print into the CLI's output
    con.execute(f"SET streaming_buffer_size = {literal(STREAM_BUFFER)}")  # a session option
    return con


@contextmanager
def scratch_file(staging: Path, name: str) -> Iterator[Path]:
    """A temporary path in ``staging``, removed unless the caller renamed it away."""
    staging.mkdir(parents=True, exist_ok=True)
    fd, tmp = new_temp_file(staging / name)  # mode from the umask, as every file datavet writes
    os.close(fd)
    try:
        yield Path(tmp)
    finally:
        Path(tmp).unlink(missing_ok=True)


def write_version(con: duckdb.DuckDBPyConnection, select: str, out: Path, *, empty_text_as_float: bool = False
                  ) -> Materialised:
    """Write the rows of ``select`` to ``out`` as one zstd Parquet file, atomically, and describe it.

    DuckDB reads in parallel but hands the rows over in order; pyarrow encodes them in row groups of
    exactly ``ROW_GROUP_ROWS`` rows (on one thread fewer than DuckDB's, datavet.sources.parts). DuckDB's
    own writer (``COPY ... TO`` with ``ROW_GROUP_SIZE``) is not an option: its order-preserving path
    cuts row groups to within one vector of the size asked, where its threads' batches happen to end.
    On a quiet machine it gave the same md5 with 1, 2 and 4 threads; under load, three
    certifications of one 10M-row CSV gave three (README, issue 24).

    An integer column with a missing value stays an integer column with nulls: exact, where float64
    (what pandas stored) rounds integers above 2**53.
    A text column with no value at all is stored as float64 when ``empty_text_as_float`` (what
    ``pandas.read_csv`` did): a second pass, only when that happens."""
    with scratch_file(out.parent, out.name) as first, scratch_file(out.parent, out.name) as second:
        rows, nulls, schema, md5 = _write(con, select, first)
        nullable: set[str] = set()
        if empty_text_as_float and rows:
            nullable |= {name for name, count in nulls.items()
                         if count == rows and pa_is_string(schema.field(name).type)}
        if nullable:
            scan = f"read_parquet({literal(str(first))})"
            columns = [r[0] for r in con.sql(f"DESCRIBE SELECT * FROM {scan}").fetchall()]
            casts = ", ".join(f"CAST({quote(c)} AS DOUBLE) AS {quote(c)}" if c in nullable else quote(c)
                              for c in columns)
            md5 = _write(con, f"SELECT {casts} FROM {scan}", second)[3]
            os.replace(second, first)
        os.replace(first, out)
    import pyarrow.parquet as pq

    return Materialised(path=out, md5=md5, rows=pq.ParquetFile(out).metadata.num_rows, table=out)


def _write(con: duckdb.DuckDBPyConnection, select: str, out: Path) -> tuple[int, dict[str, int], pa.Schema, str]:
    """Stream ``select`` into ``out`` (datavet.sources.parts.write_select); return the rows, the nulls
    per column, the schema and the md5 of the file."""
    from datavet.progress import Progress

    with Progress("reading rows", unit="rows") as progress:
        part, schema = write_select(con, select, out, on_rows=progress.advance)
    return part.rows, part.nulls, schema, part.md5


def pa_is_string(typ: pa.DataType) -> bool:
    import pyarrow as pa

    return pa.types.is_string(typ) or pa.types.is_large_string(typ) or pa.types.is_string_view(typ)
