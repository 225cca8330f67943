"""A database table or query as a version: streamed, in order, into one Parquet file.

Memory stays bounded: rows come through a server-side cursor ``CHUNK_ROWS`` at a time into the one
writer of every version (:func:`datavet.sources.parts.write_part`, row groups of a fixed size). The
bytes are deterministic, so unchanged data keeps its md5: the rows are ordered by the spec's
``order_by`` columns and then by every other column (ties between wholly identical rows cannot
change the bytes), and the Arrow schema comes from the database's column types rather than from
each chunk's values.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from datavet.database import driver_errors, source_url
from datavet.engines.base import SqlTable
from datavet.errors import DataError
from datavet.sources.base import Materialised

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa

    from datavet.settings import Settings
    from datavet.sources.parts import Part
    from datavet.spec import LoadedSpec

CHUNK_ROWS = 50_000
# PostgreSQL type OIDs that are not text/number/bool (datavet.gx.metrics.sql.kind_of covers those).
_PG_DATE, _PG_TIMESTAMP, _PG_TIMESTAMPTZ, _PG_NUMERIC = 1082, 1114, 1184, 1700


def sql_table(loaded: LoadedSpec) -> SqlTable:
    """The spec's ``source.sql`` as a table the sql engine audits in place (URL resolved now)."""
    sql = loaded.spec.source.sql
    if sql is None:
        raise DataError("the spec has no source.sql block", dataset=loaded.spec.name,
                        fix="engine: sql audits a database table: add source: {sql: {url_env, table}}")
    url = source_url(loaded)
    if sql.query is not None:
        from datavet.database import backend_of
        from datavet.sources.sql_query import FIX, query_problem

        problem = query_problem(sql.query, backend_of(url, loaded.spec.name))
        if problem is not None:
            raise DataError(f"source.sql.query is refused: {problem}", dataset=loaded.spec.name, fix=FIX)
    return SqlTable(url=url, label=loaded.spec.name, table=sql.table, query=sql.query)


def arrow_type(type_code: Any) -> pa.DataType:
    """The Parquet column type of a database column (text for anything without a closer match)."""
    import pyarrow as pa

    from datavet.gx.metrics.sql import kind_of

    kind = kind_of(type_code)
    simple = {"str": pa.string(), "int": pa.int64(), "float": pa.float64(), "bool": pa.bool_()}
    if kind in simple:
        return simple[kind]
    return {_PG_DATE: pa.date32(), _PG_TIMESTAMP: pa.timestamp("us"), _PG_TIMESTAMPTZ: pa.timestamp("us", tz="UTC"),
            _PG_NUMERIC: pa.float64()}.get(type_code, pa.string())


class SqlSource:
    kind: ClassVar[str] = "sql"

    def __init__(self, loaded: LoadedSpec, settings: Settings) -> None:
        self.loaded = loaded
        self.settings = settings
        self.name = loaded.spec.name

    def _sql_engine(self) -> Any:
        from datavet.engines.sql import SqlEngine

        return SqlEngine(self.settings)

    def columns(self) -> list[str]:
        engine = self._sql_engine()
        try:
            return engine.columns(sql_table(self.loaded))
        finally:
            engine.close()

    def materialise(self, staging: Path) -> Materialised:
        import pyarrow as pa
        import sqlalchemy as sa

        if self.loaded.spec.source.sql.partition_by:  # type: ignore[union-attr]
            from datavet.registry import Registry
            from datavet.sources.sql_parts import materialise_sql_parts

            return materialise_sql_parts(self, staging, Registry.of(self.settings).cache_dir)
        table = sql_table(self.loaded)
        engine = self._sql_engine()
        order = list(self.loaded.spec.source.sql.order_by)  # type: ignore[union-attr]
        staging.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".parquet", dir=staging)
        os.close(fd)
        try:
            names, codes = engine.schema(table)
            unknown = [c for c in order if c not in names]
            if unknown:
                raise DataError(f"source.sql.order_by names {unknown}, not columns of the table or query",
                                dataset=self.name, column=unknown[0], fix=f"order by columns of {names}")
            schema = pa.schema([pa.field(n, arrow_type(c)) for n, c in zip(names, codes, strict=True)])
            keys = [sa.column(c) for c in [*order, *[n for n in names if n not in order]]]
            query = engine.select(table, sa.text("*")).order_by(*keys)
            what = f"cannot read the {engine.describe(table)}"
            with driver_errors(table.url, self.name, what), engine.sa_engine(table).connect() as conn:
                written = self.stream(conn, query, schema, Path(tmp))
            rows = written.rows
            if rows == 0:
                raise DataError(f"the {engine.describe(table)} has no rows; an empty version is never certified",
                                dataset=self.name, fix="check source.sql.table / query selects the data")
            out = staging / f"{self.name}.parquet"
            os.replace(tmp, out)
        finally:
            engine.close()
            if os.path.exists(tmp):
                os.unlink(tmp)
        return Materialised(path=out, md5=written.md5, rows=rows, table=out)

    def stream(self, conn: Any, query: Any, schema: pa.Schema, out: Path) -> Part:
        """The rows of ``query`` through a server-side cursor, ``CHUNK_ROWS`` at a time, into ``out``
        (datavet.sources.parts.write_part, on this thread: the cursor is not handed to another)."""
        from datavet.sources.parts import write_part

        result = conn.execution_options(stream_results=True, yield_per=CHUNK_ROWS).execute(query)
        batches = (batch for chunk in result.partitions(CHUNK_ROWS)
                   for batch in self._arrow(chunk, schema).to_batches())
        return write_part(batches, schema, out, read_ahead=False)

    def _arrow(self, chunk: list, schema: pa.Schema) -> pa.Table:
        import pyarrow as pa

        columns = []
        for i, field in enumerate(schema):
            values = [row[i] for row in chunk]
            if pa.types.is_string(field.type):
                values = [v if v is None or isinstance(v, str) else str(v) for v in values]
            try:
                columns.append(pa.array(values, type=field.type))
            except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as exc:
                raise DataError(f"cannot store the column as {field.type}: {exc}", dataset=self.name,
                                column=field.name, fix="cast the column in source.sql.query to a plain type") \
                    from None
        return pa.Table.from_arrays(columns, schema=schema)
