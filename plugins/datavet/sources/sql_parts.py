"""A database table with ``source.sql.partition_by`` as a partitioned version: one part per partition.

The database first tells, per partition, its row count and (PostgreSQL) a checksum of its rows,
computed where the data is: the sums of the first and of the last 64 bits of each row's
``md5(row::text)``. A part's rows are ordered by their values, so the multiset of rows is the part:
the sums need no ordered ``string_agg`` (whose text grows with the partition) and no row leaves the
server for it. A partition whose values, count, checksum and
column types are those of a part the DVC cache holds is not streamed again (the part's md5 is
remembered under ``<home>/cache/parts/``, as for Parquet partitions). On other databases every
partition is streamed (each part's bytes still follow from its rows, so unchanged parts keep their
md5 and their cached count tables).

A part's rows are ordered as the single-file version orders them (``order_by``, then every other
column) and written by :func:`datavet.sources.parts.write_part`. Its name is the partition as a
Hive folder would spell it (``race=White``, null as ``__HIVE_DEFAULT_PARTITION__``), quoted into one
file name (datavet.sources.partitioned.part_name).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote as url_quote

from datavet.database import driver_errors
from datavet.errors import DataError
from datavet.sources.partitioned import PartsFolder, PartsMaterialised, part_name
from datavet.sources.parts import LAYOUT

if TYPE_CHECKING:  # pragma: no cover
    from datavet.sources.sql import SqlSource

NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"


def folder_for(columns: list[str], values: tuple) -> str:
    """The partition as a Hive folder path (``a=1/b=x``)."""
    return "/".join(f"{url_quote(c, safe='')}={NULL_PARTITION if v is None else url_quote(str(v), safe='')}"
                    for c, v in zip(columns, values, strict=True))


def materialise_sql_parts(source: SqlSource, staging: Path, cache: Path) -> PartsMaterialised:
    import pyarrow as pa
    import sqlalchemy as sa

    from datavet.sources.sql import arrow_type, sql_table
    from datavet.sources.table import scratch_file

    loaded = source.loaded
    sql = loaded.spec.source.sql
    assert sql is not None
    table = sql_table(loaded)
    engine = source._sql_engine()
    try:
        names, codes = engine.schema(table)
        for key, wanted in (("order_by", sql.order_by), ("partition_by", sql.partition_by)):
            unknown = [c for c in wanted if c not in names]
            if unknown:
                raise DataError(f"source.sql.{key} names {unknown}, not columns of the table or query",
                                dataset=source.name, column=unknown[0], fix=f"name columns of {names}")
        schema = pa.schema([pa.field(n, arrow_type(c)) for n, c in zip(names, codes, strict=True)])
        order = [*sql.order_by, *[n for n in names if n not in sql.order_by]]
        sa_engine = engine.sa_engine(table)
        what = f"cannot read the {engine.describe(table)}"
        partitions = _partitions(sa_engine, engine, table, list(sql.partition_by), what, source.name)
        if not partitions:
            raise DataError(f"the {engine.describe(table)} has no rows; an empty version is never certified",
                            dataset=source.name, fix="check source.sql.table / query selects the data")
        parts = PartsFolder(staging, cache, source.settings.memo_dir)
        for values, count, checksum in partitions:
            name = part_name(folder_for(list(sql.partition_by), values))
            key = None if checksum is None else _fingerprint(values, count, checksum, schema, order)
            if not parts.reuse(name, key, count):
                where = [sa.column(c).is_(None) if v is None else sa.column(c) == sa.bindparam(f"p{i}", v)
                         for i, (c, v) in enumerate(zip(sql.partition_by, values, strict=True))]
                query = engine.select(table, sa.text("*")).where(*where).order_by(*(sa.column(c) for c in order))
                with driver_errors(table.url, source.name, what), sa_engine.connect() as conn, \
                        scratch_file(parts.path, name) as tmp:
                    written = source.stream(conn, query, schema, tmp)
                    os.replace(tmp, parts.path / name)
                if written.rows != count:
                    raise DataError(f"partition {folder_for(list(sql.partition_by), values)} of the "
                                    f"{engine.describe(table)} changed while it was read ({count} rows counted, "
                                    f"{written.rows} read)", dataset=source.name,
                                    fix="re-run when the table is not being written to")
                parts.written(name, key, written.md5, count)
    finally:
        engine.close()
    return parts.done()


def _partitions(sa_engine: Any, engine: Any, table: Any, by: list[str], what: str,
                dataset: str) -> list[tuple[tuple, int, str | None]]:
    """(partition values, rows, checksum or None) per partition, from one aggregate query."""
    import sqlalchemy as sa

    quote = sa_engine.dialect.identifier_preparer.quote
    source = f"(\n{table.query.strip().rstrip(';')}\n)" if table.query is not None else \
        ".".join(quote(part) for part in (table.table or "").split("."))
    keys = ", ".join(f"datavet_t.{quote(c)}" for c in by)
    checksum = "NULL"
    if sa_engine.dialect.name == "postgresql":  # two sums of 64 bits of each row's md5: bounded memory
        checksum = " || ':' || ".join(f"sum(('x' || substr(md5(datavet_t::text), {start}, 16))::bit(64)::bigint"
                                      "::numeric)::text" for start in (1, 17))
    statement = sa.text(f"SELECT {keys}, count(*), {checksum} FROM {source} AS datavet_t GROUP BY {keys} "
                        f"ORDER BY {keys}")
    with driver_errors(table.url, dataset, what), sa_engine.connect() as conn:
        found = conn.execute(statement).fetchall()
    width = len(by)
    return [(tuple(r[:width]), int(r[width]), r[width + 1]) for r in found]


def _fingerprint(values: tuple, rows: int, checksum: str, schema: Any, order: list[str]) -> str:
    """What a part's bytes follow from: its rows (count and checksum, in the version's order), the
    column types and the writer."""
    import pyarrow

    text = json.dumps({"partition": [None if v is None else str(v) for v in values], "rows": rows,
                       "checksum": checksum, "schema": [[f.name, str(f.type)] for f in schema], "order": order,
                       "pyarrow": pyarrow.__version__, "layout": LAYOUT}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()
