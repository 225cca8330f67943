"""SQL helpers shared by the metric providers.

GX 1.24's ``execute_query`` fetches after closing its connection and DuckDB drops results on close,
so the providers run their query and fetch inside one connection of the execution engine's own
SQLAlchemy engine. Column kinds come from the cursor description (DuckDB type names, PostgreSQL
type OIDs); they decide how NaN and the missing tokens are recognised.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from datavet.figures.values import WHITESPACE, literal_tokens

_DUCKDB_KINDS = {
    "VARCHAR": "str", "BOOLEAN": "bool", "DOUBLE": "float", "FLOAT": "float", "REAL": "float",
    **dict.fromkeys(["BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER",
                     "USMALLINT", "UTINYINT", "UHUGEINT"], "int"),
}
_PG_OID_KINDS = {16: "bool", 20: "int", 21: "int", 23: "int", 700: "float", 701: "float", 25: "str",
                 1043: "str", 1042: "str", 19: "str"}


def fetch(execution_engine: Any, query: sa.Executable) -> tuple[list[str], list[tuple], list[Any]]:
    """(column names, rows, type codes) of ``query``, fetched before the connection closes."""
    with execution_engine.engine.connect() as conn:
        result = conn.execute(query)
        description = result.cursor.description if result.cursor is not None else None
        names = list(result.keys())
        rows = [tuple(r) for r in result.fetchall()]
        return names, rows, [d[1] for d in description or []]


def column_kinds(execution_engine: Any, selectable: Any) -> dict[str, str]:
    """{column: 'str' | 'int' | 'float' | 'bool' | 'other'} of the batch."""
    names, _, types = fetch(execution_engine, sa.select(sa.text("*")).select_from(selectable).limit(0))
    return {n: kind_of(t) for n, t in zip(names, types, strict=True)}


def kind_of(type_code: Any) -> str:
    if isinstance(type_code, int):
        return _PG_OID_KINDS.get(type_code, "other")
    name = str(type_code).upper()
    if name.startswith("VARCHAR") or name in ("STRING", "TEXT"):
        return "str"
    return _DUCKDB_KINDS.get(name, "other")


def is_nan(column: sa.ColumnElement, dialect: str) -> sa.ColumnElement | None:
    """NaN test for a float column (in DuckDB and PostgreSQL NaN is not NULL, and NaN = NaN)."""
    if dialect == "duckdb":
        return sa.func.isnan(column)
    if dialect == "postgresql":
        return column == sa.literal_column("'NaN'::float8")
    return None


def strip(column: sa.ColumnElement, dialect: str) -> sa.ColumnElement:
    """Python's ``str.strip`` of the same whitespace characters, in SQL."""
    if dialect == "postgresql":
        return sa.func.btrim(column, WHITESPACE)
    return sa.func.trim(column, WHITESPACE)


def token_condition(column: sa.ColumnElement, kind: str, token: str, dialect: str) -> sa.ColumnElement | None:
    """The cells of ``column`` whose text is ``token`` (None when no cell of that kind can be)."""
    if kind == "str":
        return strip(column, dialect) == token
    literals = literal_tokens([token], kind)
    return column == literals[0] if literals else None


def count_if(condition: sa.ColumnElement | None) -> sa.ColumnElement:
    if condition is None:
        return sa.literal(0)
    return sa.func.sum(sa.case((condition, 1), else_=0))
