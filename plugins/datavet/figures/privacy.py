"""Opaque group names for columns whose raw values must never be published.

For a column marked ``identifying`` or ``sensitive`` the figures keep their shape (one entry per
group) but the group names become ``group-1``, ``group-2``, ... numbered by descending row count
(ties by raw value), so the report and the stored GX result say how skewed the column is without
saying what its values are. The numbering is stable for a given batch; it is not a hash, because a
hash of a low-cardinality value is trivially reversed by trying every plausible value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from datavet.figures.values import MISSING_GROUP


def opaque_names(counts: Mapping[str, int], others: Iterable[str] = ()) -> dict[str, str]:
    """{raw name: opaque name} over the counted groups and any other names (e.g. reference groups)."""
    names = dict(counts)
    for name in others:
        names.setdefault(name, 0)
    order = sorted((n for n in names if n != MISSING_GROUP), key=lambda n: (-names[n], n))
    mapping = {name: f"group-{i}" for i, name in enumerate(order, start=1)}
    if MISSING_GROUP in names:
        mapping[MISSING_GROUP] = MISSING_GROUP
    return mapping


def rename(value, mapping: Mapping[str, str]):
    """Rename dict keys and list items (recursively) that are raw group names."""
    if isinstance(value, dict):
        return {mapping.get(k, k): rename(v, mapping) for k, v in value.items()}
    if isinstance(value, list):
        return [rename(v, mapping) for v in value]
    if isinstance(value, str):
        return mapping.get(value, value)
    return value
