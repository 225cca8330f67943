"""SQL: the checks run inside the database through GX's SQLAlchemy execution engine.

Every metric is an aggregate query (``datavet.gx.metrics``): only count tables (one row per group)
leave the database, so a table of any size is audited where it lives, without a copy.

PostgreSQL first. What is dialect-specific, each in one place, so another SQLAlchemy dialect is a
small addition: recognising NaN (``'NaN'::float8``) and stripping whitespace (``btrim``) in
``datavet.gx.metrics.sql``; column kinds from the driver's type codes (PostgreSQL type OIDs) in
``datavet.gx.metrics.sql.kind_of``; type names for the datasheet's profile (``format_type``, below);
the connect timeout (``datavet.database.create_engine``); and error codes (SQLSTATE, in
``datavet.database``). Everything else is SQLAlchemy Core, compiled for the dialect.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from datavet.database import connect_args, create_engine, driver_errors, masked
from datavet.engines.base import DataProfile, Engine, SqlTable, Table
from datavet.errors import DataError

if TYPE_CHECKING:  # pragma: no cover
    import sqlalchemy as sa

SOURCE = "datavet"


class SqlEngine(Engine):
    name = "sql"

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self._engines: dict[str, sa.Engine] = {}

    # ---- plumbing -----------------------------------------------------------------------------
    def _table(self, table: Table) -> SqlTable:
        if not isinstance(table, SqlTable):
            raise DataError("the sql engine audits a database table or query in place, not a file or DataFrame",
                            fix="use engine: duckdb (or spark) for a Parquet version")
        return table

    def sa_engine(self, table: SqlTable) -> sa.Engine:
        if table.url not in self._engines:
            self._engines[table.url] = create_engine(table.url, table.label)
        return self._engines[table.url]

    def _from(self, table: SqlTable) -> str:
        """The FROM item of the table or query (identifiers quoted for the dialect)."""
        if table.query is not None:
            # on lines of their own: a trailing -- comment in the query cannot swallow the parenthesis
            return f"(\n{table.query.strip().rstrip(';')}\n) AS datavet_query"
        quote = self.sa_engine(table).dialect.identifier_preparer.quote
        return ".".join(quote(part) for part in (table.table or "").split("."))

    def _run(self, table: SqlTable, query: Any, what: str) -> tuple[list[tuple], list[Any]]:
        """(rows, driver type codes) of ``query``; driver errors become DataErrors."""
        with driver_errors(table.url, table.label, f"{what} ({self.describe(table)})"), \
                self.sa_engine(table).connect() as conn:
            result = conn.execute(query)
            types = [d[1] for d in result.cursor.description or []] if result.cursor is not None else []
            return [tuple(r) for r in result.fetchall()], types

    def select(self, table: SqlTable, *columns: Any) -> Any:
        import sqlalchemy as sa

        return sa.select(*columns).select_from(sa.text(self._from(table)))

    @staticmethod
    def describe(table: SqlTable) -> str:
        what = f"table {table.table}" if table.table is not None else "query of source.sql"
        return f"{what} at {masked(table.url)}"

    def schema(self, table: SqlTable) -> tuple[list[str], list[Any]]:
        import sqlalchemy as sa

        with driver_errors(table.url, table.label, f"cannot read the {self.describe(table)}"), \
                self.sa_engine(table).connect() as conn:
            result = conn.execute(self.select(table, sa.text("*")).limit(0))
            return list(result.keys()), [d[1] for d in result.cursor.description or []]

    # ---- the Engine interface ---------------------------------------------------------------------
    def columns(self, table: Table) -> list[str]:
        return self.schema(self._table(table))[0]

    def gx_batch(self, table: Table) -> tuple[Any, dict[str, Any]]:
        from datavet.gx.batches import ephemeral_context

        table = self._table(table)
        # Reachable, credentials right, table or query valid and runnable: said here, clearly, before GX
        # runs (GX would record a failing metric as a failed expectation). One count(*) in the database.
        import sqlalchemy as sa

        self._run(table, self.select(table, sa.func.count()), f"cannot read the {self.describe(table)}")
        kwargs = {"connect_args": connect_args(table.url)}
        source = ephemeral_context().data_sources.add_sql(SOURCE, connection_string=table.url,
                                                            create_temp_table=False, kwargs=kwargs)
        if table.query is not None:
            # GX takes only text starting with SELECT: a WITH query goes in as the subquery datavet reads
            asset = source.add_query_asset("data", query=f"SELECT * FROM {self._from(table)}")
        else:
            schema, _, name = (table.table or "").rpartition(".")
            asset = source.add_table_asset("data", table_name=name, schema_name=schema or None)
        return asset.add_batch_definition_whole_table("all"), {}

    def value_counts(self, table: Table, columns: list[str]) -> list[tuple[tuple, int]]:
        import sqlalchemy as sa

        from datavet.figures.values import plain

        table = self._table(table)
        cols = [sa.column(c) for c in columns]
        rows, _ = self._run(table, self.select(table, *cols, sa.func.count()).group_by(*cols), "cannot count rows")
        return [(tuple(plain(v) for v in r[:-1]), int(r[-1])) for r in rows]

    def profile(self, table: Table, *, time_columns: list[str], label_columns: list[str],
                missing_tokens: list[str], identifying_columns: Sequence[str] = ()) -> DataProfile:
        import sqlalchemy as sa

        from datavet.figures.values import MISSING_GROUP
        from datavet.gx.metrics.sql import kind_of, strip

        table = self._table(table)
        names, codes = self.schema(table)
        dialect = self.sa_engine(table).dialect.name
        types = dict(zip(names, self._type_names(table, codes), strict=True))
        kinds = dict(zip(names, (kind_of(c) for c in codes), strict=True))
        times = [c for c in time_columns if c in types]
        labels = [c for c in label_columns if c in types]

        def time_expr(name: str) -> Any:
            col = sa.column(name)
            if kinds[name] == "str" and missing_tokens:
                return sa.case((strip(col, dialect).in_(missing_tokens), sa.null()), else_=col)
            return col

        # One scan: identical rows grouped, keeping only the narrow columns the profile needs.
        narrow = [time_expr(c).label(f"t{i}") for i, c in enumerate(times)] + [sa.func.count().label("n")]
        groups = self.select(table, *narrow).group_by(*[sa.column(c) for c in names]).subquery("g")
        outer = [sa.func.sum(groups.c.n), sa.func.count()]
        for i in range(len(times)):
            outer += [sa.func.min(groups.c[f"t{i}"]), sa.func.max(groups.c[f"t{i}"])]
        (row,), _ = self._run(table, sa.select(*outer).select_from(groups), "cannot profile the data")
        rows, distinct = int(row[0] or 0), int(row[1] or 0)
        ranges = {c: tuple(None if v is None else str(v) for v in row[2 + 2 * i:4 + 2 * i])
                  for i, c in enumerate(times)}
        label_counts = {}
        for c in labels:
            found, _ = self._run(table, self.select(table, sa.column(c), sa.func.count()).group_by(sa.column(c)),
                                 "cannot count labels")
            label_counts[c] = {(MISSING_GROUP if v is None else str(v)): int(n)
                               for v, n in sorted(found, key=lambda r: -r[1])}
        kept = [c for c in names if c not in set(identifying_columns)]
        without = None
        if 0 < len(kept) < len(names):  # one more scan, only when some column is identifying
            inner = self.select(table, sa.literal(1).label("one")).group_by(*[sa.column(c) for c in kept]).subquery("k")
            (found,), _ = self._run(table, sa.select(sa.func.count()).select_from(inner), "cannot profile the data")
            without = rows - int(found[0] or 0)
        return DataProfile(rows=rows, duplicate_rows=rows - distinct, column_types=types, time_ranges=ranges,
                           label_counts=label_counts, duplicate_rows_without_identifying=without)

    def _type_names(self, table: SqlTable, codes: list[Any]) -> list[str]:
        """Type names for the datasheet (PostgreSQL: the OIDs' names; other drivers: their type codes)."""
        import sqlalchemy as sa

        if self.sa_engine(table).dialect.name != "postgresql" or not codes:
            return [str(c) for c in codes]
        query = sa.text("SELECT oid, format_type(oid, NULL) FROM pg_type WHERE oid = ANY(:oids)")
        found = dict(self._run(table, query.bindparams(oids=sorted(set(codes))), "cannot read column types")[0])
        return [str(found.get(c, c)) for c in codes]

    def row_difference(self, new: Table, old: Table) -> tuple[int, int]:
        import sqlalchemy as sa

        new, old = self._table(new), self._table(old)
        if new.url != old.url:
            raise DataError("the sql engine compares two tables of one database", dataset=new.label,
                            fix="version both (datavet certify) and compare the Parquet versions")
        if self.schema(new) != self.schema(old):  # no row of one schema is a row of the other
            return (*(int(self._run(t, self.select(t, sa.func.count()), "cannot count the rows")[0][0][0])
                      for t in (new, old)),)

        def count(a: SqlTable, b: SqlTable) -> int:
            query = sa.text(f"SELECT count(*) FROM (SELECT * FROM {self._from(a)} EXCEPT ALL "
                            f"SELECT * FROM {self._from(b)}) AS d")
            return int(self._run(a, query, "cannot compare the versions")[0][0][0])

        return count(new, old), count(old, new)

    def close(self) -> None:
        for engine in self._engines.values():
            engine.dispose()
        self._engines.clear()
