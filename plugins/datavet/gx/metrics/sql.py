"""SQL helpers shared by the metric providers, and the one query answering a whole count plan.

GX 1.24's ``execute_query`` fetches after closing its connection and DuckDB drops results on close,
so the providers run their query and fetch inside one connection of the execution engine's own
SQLAlchemy engine. Column kinds come from the cursor description (DuckDB type names, PostgreSQL
type OIDs); they decide how NaN and the missing tokens are recognised.
"""

from __future__ import annotations

import functools
import operator
from typing import Any

import sqlalchemy as sa

from datavet.figures.values import WHITESPACE, literal_tokens
from datavet.gx.metrics.codes import CodeLayout, internal_prefix

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


def no_token_inside(column: sa.ColumnElement, tokens: list[str]) -> sa.ColumnElement | None:
    """The text cells that contain no token at all, so none can be a token once stripped: a CASE
    that answers them first strips only the few cells left (stripping every cell of every text
    column was most of the count query's time). None when a token is empty (every cell contains it)."""
    if not tokens or "" in tokens:
        return None
    return sa.not_(sa.or_(*[sa.func.strpos(column, t) > 0 for t in tokens]))


def one_scan(selectable: Any, sets: dict[frozenset[str], tuple[str, ...]], missing: set[frozenset[str]],
             kinds: dict[str, str], tokens: list[str], dialect: str) -> sa.Select:
    """One query for every column set of ``sets``: rows of the sets' keys (in the order of their
    union), the grouping id (0 for a single set), the row count and, when ``missing`` names sets,
    per column of ``kinds`` its null/NaN count and one count per token (datavet.gx.metrics.codes).

    The data is read once: the inner ``GROUPING SETS`` groups value sets by their columns and
    missing sets by their columns and the packed missing codes; the outer aggregation (over grouped
    rows only) sums the rows per code."""
    union = list(dict.fromkeys(c for order in sets.values() for c in order))
    layout = CodeLayout.of(list(kinds), tokens)
    prefix = internal_prefix(list(kinds))
    names = [f"{prefix}p{k}" for k in range(layout.patterns)] if missing else []
    patterns = _patterns(layout, kinds, tokens, dialect) if missing else []
    data = sa.select(*[sa.column(c) for c in union], *[p.label(n) for p, n in zip(patterns, names, strict=True)]
                     ).select_from(selectable).subquery("datavet_data")
    keys, packed = [data.c[c] for c in union], [data.c[n] for n in names]
    grouped = [[data.c[c] for c in order] + (packed if cols in missing else []) for cols, order in sets.items()]
    gid = sa.literal(0) if len(sets) == 1 else sa.func.grouping(*keys)
    inner = sa.select(*keys, *packed, gid.label(f"{prefix}gid"), sa.func.count().label(f"{prefix}rows"))
    if len(sets) == 1:  # a plain GROUP BY (or none): the same counts, no grouping-set machinery
        inner = inner.group_by(*grouped[0])
    else:
        inner = inner.group_by(sa.func.grouping_sets(*[sa.tuple_(*cols) for cols in grouped]))
    return _per_code(inner.subquery("datavet_groups"), union, layout, names, prefix) if missing else inner


def _per_code(grouped: Any, union: list[str], layout: CodeLayout, names: list[str], prefix: str) -> sa.Select:
    """The grouped rows summed per set and key, with each column's rows per missing code."""
    rows, gid = grouped.c[f"{prefix}rows"], grouped.c[f"{prefix}gid"]
    counts = []
    for index in range(len(layout.columns)):
        for slot in range(layout.slots):
            k, mask, value = layout.test(index, slot)
            hit = grouped.c[names[k]].op("&")(sa.literal_column(str(mask))) == sa.literal_column(str(value))
            counts.append(sa.func.sum(sa.case((hit, rows), else_=0)))
    keys = [grouped.c[c] for c in union]
    query = sa.select(*keys, gid if union else sa.literal(0), sa.func.sum(rows), *counts).select_from(grouped)
    return query.group_by(*keys, gid) if union else query  # no key: one row, even for an empty table


def _patterns(layout: CodeLayout, kinds: dict[str, str], tokens: list[str], dialect: str) -> list[sa.ColumnElement]:
    """The packed missing codes of a row: one BIGINT per pattern, the sum of its columns' codes."""
    parts: list[list[sa.ColumnElement]] = [[] for _ in range(layout.patterns)]
    for index, (name, kind) in enumerate(kinds.items()):
        col = sa.column(name)
        null = col.is_(None)
        nan = is_nan(col, dialect) if kind == "float" else None
        whens = [(null if nan is None else sa.or_(null, nan), layout.code_value(index, 0)[1])]
        if kind == "str" and (unlike := no_token_inside(col, tokens)) is not None:
            whens.append((unlike, 0))  # most cells: no strip
        whens += [(cond, layout.code_value(index, 1 + i)[1]) for i, t in enumerate(tokens)
                  if (cond := token_condition(col, kind, t, dialect)) is not None]
        k = layout.place(index)[0]
        parts[k].append(sa.cast(sa.case(*[(cond, sa.literal_column(str(code))) for cond, code in whens], else_=0),
                                sa.BigInteger))
    return [functools.reduce(operator.add, terms) for terms in parts]
