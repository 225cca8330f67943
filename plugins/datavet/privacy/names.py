"""Opaque group names for columns whose raw values must never be published.

For a column marked ``identifying`` or ``sensitive`` the figures keep their shape (one entry per
group) but the group names become ``group-1``, ``group-2``, ... numbered by descending row count
(ties by raw value), so the report and the stored GX result say how skewed the column is without
saying what its values are. The numbering is stable for a given batch; it is not a hash, because a
hash of a low-cardinality value is trivially reversed by trying every plausible value.

There is one numbering per private column per validation: :func:`column_names`, from the column's
own value counts (the shared ``datavet.value_counts`` metric of that column alone). Every check that
involves the column is handed that numbering, so ``group-1`` denotes the same raw group in the
representation, intersectional, label-balance, missingness-parity and geography figures of one
report, whatever rows each check happens to count (a check leaving out rows with a missing label or
a missing second attribute would otherwise number the groups by its own, different, counts).
Names a check needs that the column's counts do not have (reference groups absent from the data)
are numbered after them, by name (:func:`extend`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from datavet.figures.values import MISSING_GROUP

_OPAQUE = re.compile(r"^group-(\d+)$")


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


def column_names(table: dict[str, Any], tokens: Iterable[str]) -> dict[str, str]:
    """The validation's one numbering of a private column, from the value counts of that column alone
    (rows where it is missing are no group; ``<missing>`` keeps its name)."""
    from datavet.figures.tables import labelled_counts

    counts = {key[0]: n for key, n in labelled_counts(table, tokens).items()}
    mapping = opaque_names(counts)
    mapping[MISSING_GROUP] = MISSING_GROUP
    return mapping


def extend(mapping: Mapping[str, str] | None, names: Iterable[str],
           counts: Mapping[str, int] | None = None) -> dict[str, str]:
    """``mapping`` plus opaque names, numbered after its largest, for the ``names`` it lacks (by name).

    With no ``mapping`` (a figure function called on its own), the numbering is the figure's own:
    :func:`opaque_names` over ``counts`` and ``names``."""
    if mapping is None:
        return opaque_names(counts or {}, names)
    out = dict(mapping)
    used = [int(m.group(1)) for m in map(_OPAQUE.match, out.values()) if m]
    nxt = max(used, default=0) + 1
    for name in sorted({n for n in names if n not in out}):
        if name == MISSING_GROUP:
            out[name] = MISSING_GROUP
            continue
        out[name] = f"group-{nxt}"
        nxt += 1
    return out


def rename(value, mapping: Mapping[str, str]):
    """Rename dict keys and list items (recursively) that are raw group names."""
    if isinstance(value, dict):
        return {mapping.get(k, k): rename(v, mapping) for k, v in value.items()}
    if isinstance(value, list):
        return [rename(v, mapping) for v in value]
    if isinstance(value, str):
        return mapping.get(value, value)
    return value
