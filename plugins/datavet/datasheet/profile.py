"""The data profile the datasheet needs from the bytes themselves (row count, column types, duplicate
rows, time ranges), computed in one DuckDB pass over the Parquet version.

DuckDB streams the file and spills its hash table to disk, so memory stays bounded for versions
larger than RAM; pandas would have to load the whole table to find duplicates.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from datavet.errors import DataError
from datavet.spec import LoadedSpec

MEMORY_LIMIT = "512MB"


@dataclass(frozen=True)
class DataProfile:
    rows: int
    duplicate_rows: int  # rows that repeat an earlier row exactly (rows - distinct rows)
    column_types: dict[str, str]
    time_ranges: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    label_counts: dict[str, dict[str, int]] = field(default_factory=dict)  # {label column: {value: rows}}


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _time_expr(col: str, typ: str, tokens: list[str]) -> str:
    """Missing tokens are not times; text columns holding ISO dates are compared as timestamps."""
    q = _ident(col)
    if typ.upper() in ("VARCHAR", "TEXT", "STRING"):
        cleaned = q if not tokens else (f"CASE WHEN trim({q}) IN ({', '.join(map(_literal, tokens))}) "
                                        f"THEN NULL ELSE {q} END")
        return f"coalesce(CAST(TRY_CAST({cleaned} AS TIMESTAMP) AS VARCHAR), {cleaned})"
    return q


def profile_parquet(path: Path, loaded: LoadedSpec, *, memory_limit: str = MEMORY_LIMIT) -> DataProfile:
    """Row count, types, duplicate rows, time-column ranges and label counts of one Parquet version."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"Parquet version {path} does not exist", dataset=loaded.spec.name,
                        fix="run the ingest/version stage first")
    with tempfile.TemporaryDirectory(prefix="datavet-duckdb-") as spill:
        con = duckdb.connect(":memory:")
        try:
            con.execute(f"SET memory_limit = {_literal(memory_limit)}")
            con.execute(f"SET temp_directory = {_literal(spill)}")
            con.execute("SET threads = 2")
            src = f"read_parquet({_literal(str(path))})"
            types = {str(r[0]): str(r[1]) for r in con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()}
            times = [c for c in loaded.spec.columns_with_role("time") if c in types]
            labels = [c for c in loaded.spec.columns_with_role("label") if c in types]
            keys = ", ".join(_ident(c) for c in types)
            tokens = loaded.spec.missing_tokens
            narrow = ([f"{_time_expr(c, types[c], tokens)} AS t{i}" for i, c in enumerate(times)]
                      + [f"{_ident(c)} AS l{i}" for i, c in enumerate(labels)] + ["count(*) AS n"])
            # The one scan of the file: identical rows grouped, keeping only the narrow columns needed
            # below (DuckDB spills the group table to disk past the memory limit).
            con.execute(f"CREATE TEMP TABLE g AS SELECT {', '.join(narrow)} FROM {src} GROUP BY {keys}")
            outer = ", ".join(["sum(n)", "count(*)"] + [f"min(t{i}), max(t{i})" for i in range(len(times))])
            row = con.execute(f"SELECT {outer} FROM g").fetchone()
            label_counts = {}
            for i, col in enumerate(labels):
                found = con.execute(f"SELECT l{i}, sum(n) FROM g GROUP BY l{i} ORDER BY 2 DESC").fetchall()
                label_counts[col] = {("<missing>" if v is None else str(v)): int(k) for v, k in found}
        except duckdb.Error as exc:
            raise DataError(f"cannot profile {path}: {exc}", dataset=loaded.spec.name,
                            fix="check that the version is a readable Parquet file") from None
        finally:
            con.close()
    assert row is not None
    rows = int(row[0] or 0)
    distinct = int(row[1] or 0)
    ranges = {}
    for i, col in enumerate(times):
        lo, hi = row[2 + 2 * i], row[3 + 2 * i]
        ranges[col] = (None if lo is None else str(lo), None if hi is None else str(hi))
    return DataProfile(rows=rows, duplicate_rows=rows - distinct, column_types=types, time_ranges=ranges,
                       label_counts=label_counts)
