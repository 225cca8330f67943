"""The role columns the bias checks need must hold values: asked of the version with aggregate
queries (one scan), so the version stage never holds the data in memory.

Refused: a protected, geography or label column with no value at all (only nulls and missing
tokens), and a label whose positive value never occurs (its positive rate would be 0 for every
group, which no check can tell from a real disparity). Values are compared as text with surrounding
whitespace stripped, as the checks compare them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from datavet.errors import DataError
from datavet.sources.parquet import parquet_scan
from datavet.sources.table import connect, quote

if TYPE_CHECKING:  # pragma: no cover
    import duckdb
    import pandas as pd

    from datavet.settings import Settings
    from datavet.sources.base import Materialised
    from datavet.spec import LoadedSpec

WHITESPACE = " \t\n\r\x0b\x0c"  # what str.strip() removes from the values seen in practice


def check_usable(loaded: LoadedSpec, version: Materialised, settings: Settings | None = None) -> None:
    """What no certification accepts: an empty version, and role columns the checks cannot use."""
    if version.rows == 0:
        raise DataError(f"{loaded.source_path} has no rows (only a header); an empty version is never certified",
                        dataset=loaded.spec.name, fix="check source.path points at the full file (was it truncated?)")
    check_role_columns(loaded, version.table, settings)


def check_role_columns(loaded: LoadedSpec, table: Path | pd.DataFrame, settings: Settings | None = None) -> None:
    """Refuse role columns the checks cannot use; ``table`` is the version (or a frame in tests)."""
    spec = loaded.spec
    roles = sorted({*spec.columns_with_role("protected"), *spec.columns_with_role("geography"),
                    *spec.columns_with_role("label")})
    labels = spec.label_positives()
    if not roles and not labels:
        return
    con = connect(settings)
    try:
        source = _register(con, table)
        types = {name: typ for name, typ, *_ in con.sql(f"DESCRIBE SELECT * FROM {source}").fetchall()}
        text = {c: _text(c, types[c]) for c in {*roles, *labels}}
        absent = [*spec.missing_tokens, ""]
        raw = {c: _raw_positives(loaded, c, p) for c, p in labels.items()}  # a recoded label: its codes too
        for column in roles:
            if not _any_row(con, source, f"{text[column]} IS NOT NULL AND {text[column]} NOT IN ({_params(absent)})",
                            absent):
                role = spec.columns[column].role
                raise DataError(f"every value is missing in this {role} column, so no check can use it",
                                dataset=spec.name, column=column,
                                fix=f"fill in the column in the source, or drop its role: {role} from the spec")
        for column, positive in sorted(labels.items()):
            if not _any_row(con, source, f"{text[column]} IN ({_params(raw[column])})", raw[column]):
                raise DataError(f"no row has the positive value {positive!r} (values: "
                                f"{_seen(con, source, text[column], column, loaded)})", dataset=spec.name,
                                column=column, fix=f"set columns.{column}.positive (or the label_balance check's "
                                                   "'positive') to the value that means positive")
    finally:
        con.close()


def _any_row(con: duckdb.DuckDBPyConnection, source: str, condition: str, parameters: list[str]) -> bool:
    """Whether some row meets ``condition``: the scan stops at the first one (in a usable column,
    within the first rows), so only a column that fails the check is read to its end."""
    return con.execute(f"SELECT 1 FROM {source} WHERE {condition} LIMIT 1", parameters).fetchone() is not None


def _register(con: duckdb.DuckDBPyConnection, table: Path | pd.DataFrame) -> str:
    if isinstance(table, Path | str):
        return parquet_scan(Path(table))
    con.register("frame", table)
    return "frame"


def _text(column: str, duckdb_type: str) -> str:
    """A column's values as the stripped text pandas' ``astype(str).str.strip()`` gave (no value: null)."""
    cell = quote(column)
    if duckdb_type == "BOOLEAN":
        value = f"CASE WHEN {cell} THEN 'True' ELSE 'False' END"
    elif duckdb_type in ("DOUBLE", "FLOAT"):
        value = f"CASE WHEN isnan({cell}) THEN NULL ELSE CAST({cell} AS VARCHAR) END"
    else:
        value = f"CAST({cell} AS VARCHAR)"
    return f"trim({value}, '{WHITESPACE}')"


def _raw_positives(loaded: LoadedSpec, column: str, positive: str) -> list[str]:
    """The raw texts that are the positive value once the column's ``values`` map is applied."""
    col = loaded.spec.columns.get(column)
    names = (col.values or {}) if col else {}
    return [positive.strip(), *(k for k, v in names.items() if v == positive.strip())]


def _params(values: list[str]) -> str:
    return ", ".join("?" for _ in values)


def _seen(con: duckdb.DuckDBPyConnection, source: str, text: str, column: str, loaded: LoadedSpec) -> object:
    """What the label holds instead: ten values, or only how many for an identifying/sensitive
    column (its raw values never appear in any output)."""
    if column in loaded.spec.private_columns:
        count = con.sql(f"SELECT count(DISTINCT {text}) FROM {source}").fetchone()[0]
        return f"{count} distinct values, not listed: the column is {loaded.spec.columns[column].role}"
    rows = con.sql(f"SELECT DISTINCT {text} AS v FROM {source} WHERE {text} IS NOT NULL ORDER BY v LIMIT 10").fetchall()
    return [r[0] for r in rows]
