"""The two count tables every figure is derived from, as the GX metrics return them.

``value counts``: rows per distinct combination of raw values of some columns (nulls kept)::

    {"columns": ["sex", "race"], "rows": [[["Male", "White"], 19174], ...]}

``missing counts``: per group of raw values of ``by`` (possibly no column), the group's rows and, for
every column of the table, its null count followed by the count of each token::

    {"by": ["sex"], "tokens": ["?"], "columns": ["age", ...],
     "groups": [[["Male"], 21790, {"age": [0, 0], "occupation": [0, 1109], ...}], ...]}

Both are small (one entry per distinct key), JSON-able and engine-independent.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from datavet.figures.values import MISSING_GROUP, NULL_TOKEN, GroupNamer, is_missing, label, plain

Key = tuple[Any, ...]


def value_counts(table: dict[str, Any]) -> dict[Key, int]:
    """Counts by plain key; keys that differ only in their flavour of null are merged."""
    out: dict[Key, int] = {}
    for key, count in table["rows"]:
        k = tuple(plain(v) for v in key)
        out[k] = out.get(k, 0) + int(count)
    return out


def labelled_counts(table: dict[str, Any], tokens: Iterable[str]) -> dict[tuple[str, ...], int]:
    """Counts by group names, over the rows where no key column is missing."""
    namers = [GroupNamer(tokens) for _ in table["columns"]]
    out: dict[tuple[str, ...], int] = {}
    for key, count in value_counts(table).items():
        names = tuple(namer(v) for namer, v in zip(namers, key, strict=True))
        if None in names:
            continue
        out[names] = out.get(names, 0) + count
    return out


def total_rows(table: dict[str, Any]) -> int:
    return sum(int(g[1]) for g in table["groups"])


def token_counts(table: dict[str, Any], column: str, groups: list | None = None) -> dict[str, int]:
    """{"null": n, token: n, ...} for ``column`` over ``groups`` (default: all of them)."""
    tokens = list(table["tokens"])
    out = {NULL_TOKEN: 0, **{t: 0 for t in tokens if t != NULL_TOKEN}}
    for group in table["groups"] if groups is None else groups:
        counts = group[2][column]
        out[NULL_TOKEN] += int(counts[0])
        for token, n in zip(tokens, counts[1:], strict=True):
            out[token] += int(n)
    return out


def missing_by_cell(table: dict[str, Any], column: str) -> dict[tuple[str, ...], tuple[int, int]]:
    """{(group name per ``by`` column): (rows, missing cells of column)}; rows with any ``by`` value
    missing form the cell ``("<missing>",)``. Grouping keys are raw values, so merging happens here."""
    tokens = list(table["tokens"])
    out: dict[tuple[str, ...], tuple[int, int]] = {}
    for key, rows, cols in table["groups"]:
        k = tuple(plain(v) for v in key)
        name = (MISSING_GROUP,) if any(is_missing(v, tokens) for v in k) else tuple(label(v) for v in k)
        missing = sum(int(n) for n in cols[column])
        r0, m0 = out.get(name, (0, 0))
        out[name] = (r0 + int(rows), m0 + missing)
    return out

