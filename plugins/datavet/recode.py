"""Recoding: the spec's ``values`` maps and ``bins`` applied to the count tables before any figure.

A check never sees a raw cell: it sees the count tables (datavet.figures.tables), one entry per
distinct key. Recoding those keys, and merging the entries that become equal, is one place that
serves every check on every engine, with the one definition of a value's text that ``reference``
keys and ``positive`` already use (Python's ``str`` of the raw value, whitespace stripped), so
DuckDB, PostgreSQL, pandas and Spark cannot disagree on how ``1.0`` or ``True`` is written.

* ``values``: ``{text of a raw value: group name}``. A value not in the map keeps its own name; a
  null or a missing token stays missing (the spec refuses a token as a key or as a name).
* ``bins``: ascending edges ``[e0, ..., en]`` make right-open bands ``[e(i), e(i+1))``; as in
  PostgreSQL's ``width_bucket(value, thresholds)``, a value below ``e0`` falls in the open band
  ``< e0`` and a value at or above ``en`` in ``>= en``, so no row is lost or made missing. A null
  stays missing. ``labels`` name the n closed bands, or all n + 2 bands (lowest open band first).

The Parquet version is never changed: recoding is part of the rules, not of the bytes.
"""

from __future__ import annotations

import bisect
import decimal
import math
from typing import Any

from datavet.errors import DataError
from datavet.figures.values import WHITESPACE, plain

Rules = dict[str, dict[str, Any]]  # {column: {"values": {...}} or {"bins": [...], "labels": [...]}}


def edge_text(edge: float) -> str:
    """18.0 -> '18', 2.5 -> '2.5', inf -> 'inf' (the band names a reader sees)."""
    return str(int(edge)) if math.isfinite(edge) and float(edge).is_integer() else str(edge)


def band_names(bins: list[float], labels: list[str] | None = None) -> list[str]:
    """Names of the n + 2 bands, lowest open band first: '< e0', '[e0, e1)', ..., '>= en'."""
    closed = [f"[{edge_text(a)}, {edge_text(b)})" for a, b in zip(bins, bins[1:], strict=False)]
    names = [f"< {edge_text(bins[0])}", *closed, f">= {edge_text(bins[-1])}"]
    if labels is None:
        return names
    if len(labels) == len(closed):
        return [names[0], *labels, names[-1]]
    return list(labels)


# ---- the spec's keys, validated (datavet.spec calls these; a ValueError becomes a SpecError) ----------
def value_names(values: dict[str, Any] | None) -> dict[str, str] | None:
    """A ``values`` map with stripped keys and names; every name non-empty."""
    if values is None:
        return None
    out = {k.strip(): v.strip() if isinstance(v, str) else v for k, v in values.items()}
    empty = [k for k, v in out.items() if not v]
    if not out or empty:
        raise ValueError(f"values: give each value a non-empty name (empty: {empty}), or drop 'values'")
    return out


def checked_bands(values: Any, bins: list[float] | None, labels: list[str] | None) -> list[str] | None:
    """Refuse what cannot make bands; returns the labels stripped."""
    if values is not None and bins is not None:
        raise ValueError("give either 'values' (names for codes) or 'bins' (bands of numbers), not both")
    if labels is not None and bins is None:
        raise ValueError("'labels' name the bands of 'bins'; add bins: [edges...] or drop 'labels'")
    if bins is None:
        return labels
    if any(b != b for b in bins) or any(a >= b for a, b in zip(bins, bins[1:], strict=False)):
        raise ValueError(f"bins must be strictly ascending numbers, got {bins}; sort them and drop repeated edges")
    if labels is None:
        return None
    closed = len(bins) - 1
    if len(labels) not in (closed, closed + 2):
        raise ValueError(f"{len(labels)} labels for {len(bins)} bin edges: give {closed} (the bands between the "
                         f"edges) or {closed + 2} (also '< {bins[0]:g}' and '>= {bins[-1]:g}', lowest first)")
    labels = [s.strip() for s in labels]
    if len(set(labels)) != len(labels) or not all(labels):
        raise ValueError(f"labels must be distinct and non-empty, got {labels}")
    return labels


def refuse_token_clashes(columns: dict[str, Any], tokens: list[str]) -> None:
    """A missing token is neither recoded nor a group name: recoding never turns missing into a value,
    or a value into missing (a column's missing counts stay those of the bytes)."""
    for name, col in columns.items():
        written = {*(col.values or {}), *(col.values or {}).values(), *(col.labels or [])}
        clash = sorted(written & set(tokens))
        if clash:
            raise ValueError(f"columns.{name}: {clash} is a missing token (missing_tokens), so it can be neither a "
                             "value to rename nor a group name; drop it from values/labels or from missing_tokens")


# ---- the rules as the checks apply them -------------------------------------------------------------
def rules_of(spec: Any) -> Rules:
    """The spec's recoding rules, JSON-able (what the suite carries and the datasheet shows)."""
    out: Rules = {}
    for name, col in spec.columns.items():
        if col.values:
            out[name] = {"values": dict(col.values)}
        elif col.bins:
            out[name] = {"bins": [float(b) for b in col.bins], "labels": band_names(col.bins, col.labels)}
    return out


def is_number(value: Any) -> bool:
    return isinstance(value, int | float | decimal.Decimal) and not isinstance(value, bool)


def band(value: Any, bins: list[float], names: list[str], column: str) -> str | None:
    """The band of a raw value (None for a null); a value that is not a number is a DataError."""
    value = plain(value)
    if value is None:
        return None
    if not is_number(value):
        raise DataError(f"bins need numbers, but the column holds {type(value).__name__} values such as "
                        f"{value!r}", column=column,
                        fix=f"drop bins from columns.{column} (use values: to name its groups), or store the "
                            "column as numbers")
    return names[bisect.bisect_right(bins, float(value))]


def recode_value(value: Any, rule: dict[str, Any], column: str) -> Any:
    """One raw key value as the checks see it."""
    if "bins" in rule:
        return band(value, rule["bins"], rule["labels"], column)
    raw = plain(value)
    if raw is None:
        return None
    text = raw.strip(WHITESPACE) if isinstance(raw, str) else str(raw)
    return rule["values"].get(text, raw)


def _key(key: list[Any], columns: list[str], rules: Rules) -> tuple:
    return tuple(recode_value(v, rules[c], c) if c in rules else v for v, c in zip(key, columns, strict=True))


def recode_value_counts(table: dict[str, Any], rules: Rules) -> dict[str, Any]:
    """A value-counts table with its keys recoded; entries that became equal are summed."""
    columns = table["columns"]
    if not rules or not set(columns) & set(rules):
        return table
    merged: dict[tuple, int] = {}
    for key, n in table["rows"]:
        k = _key(key, columns, rules)
        merged[k] = merged.get(k, 0) + int(n)
    return {**table, "rows": [[list(k), n] for k, n in merged.items()]}


def recode_missing_counts(table: dict[str, Any], rules: Rules) -> dict[str, Any]:
    """A missing-counts table with its groups recoded and merged (rows and every column's counts summed).
    A column's own missing counts are unchanged: recoding keeps nulls null and values values."""
    by = table["by"]
    if not rules or not set(by) & set(rules):
        return table
    merged: dict[tuple, list[Any]] = {}
    for key, n, counts in table["groups"]:
        k = _key(key, by, rules)
        if k not in merged:
            merged[k] = [list(k), 0, {c: [0] * len(v) for c, v in counts.items()}]
        entry = merged[k]
        entry[1] += int(n)
        for c, v in counts.items():
            entry[2][c] = [a + int(b) for a, b in zip(entry[2][c], v, strict=True)]
    return {**table, "groups": list(merged.values())}


def recode_table(table: dict[str, Any], rules: Rules) -> dict[str, Any]:
    """Either kind of count table, recoded."""
    return recode_missing_counts(table, rules) if "groups" in table else recode_value_counts(table, rules)


def check_binned_columns(rules: Rules, value_counts: Any, dataset: str) -> None:
    """Refuse bins on a column holding anything but numbers, before any check runs (inside GX the
    error would become one failed check per expectation instead of one clear message).
    ``value_counts(columns)``: the engine's raw value counts."""
    for column, rule in rules.items():
        if "bins" not in rule:
            continue
        for key, _ in value_counts([column]):
            try:
                band(key[0], rule["bins"], rule["labels"], column)
            except DataError as exc:
                raise DataError(exc.message, dataset=dataset, column=column, fix=exc.fix) from None


def describe(rule: dict[str, Any], private: bool = False) -> str:
    """How the datasheet states a column's recoding (a private column's codes are not listed)."""
    if "bins" in rule:
        return ("banded before the checks (right-open bands): " + ", ".join(rule["labels"])
                + f" (edges {', '.join(edge_text(b) for b in rule['bins'])})")
    if private:
        return f"{len(rule['values'])} values renamed before the checks (not listed: the column is private)"
    pairs = "; ".join(f"{k} → {v}" for k, v in rule["values"].items())
    return f"values renamed before the checks (others keep their own): {pairs}"
