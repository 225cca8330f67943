"""Per-column missing and distinct counts of one version, for data-quality metrics (OpenLineage).

Missing is what every datavet figure calls missing: null, or one of the spec's missing tokens
compared as stripped text. One DuckDB pass over the Parquet file. A missing count from 1 to the
small-cell threshold - 1 is withheld (None), as in every published document.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from datavet.engines.duckdb import ident, literal
from datavet.privacy.rule import is_small
from datavet.sources.parquet import parquet_scan


@dataclass(frozen=True)
class ColumnStats:
    missing: int | None  # None: withheld (a small cell)
    distinct: int  # distinct values that are not missing


def column_stats(parquet: Path, missing_tokens: list[str], small_cell_threshold: int
                 ) -> tuple[int, dict[str, ColumnStats]]:
    """(rows, {column: ColumnStats}) of the Parquet version, missing counts published."""
    with duckdb.connect() as con:
        src = parquet_scan(Path(parquet))  # a file, or a partitioned version's folder of parts
        types = {str(r[0]): str(r[1]).upper() for r in con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()}
        parts = ["count(*)"]
        for col, typ in types.items():
            q = ident(col)
            if missing_tokens and typ == "VARCHAR":
                q = f"CASE WHEN trim({q}) IN ({', '.join(map(literal, missing_tokens))}) THEN NULL ELSE {q} END"
            parts += [f"count(*) - count({q})", f"count(DISTINCT {q})"]
        row = con.execute(f"SELECT {', '.join(parts)} FROM {src}").fetchone()
    assert row is not None
    stats = {}
    for i, col in enumerate(types):
        missing, distinct = int(row[1 + 2 * i]), int(row[2 + 2 * i])
        stats[col] = ColumnStats(None if is_small(missing, small_cell_threshold) else missing, distinct)
    return int(row[0]), stats
