"""Groups that are combinations of attributes (``by: [sex, race]``), shared by the checks that compare
groups (label balance, missingness parity).

A cell is a tuple of group names, one per attribute, published as ``"Male|White"``. Private attributes
are renamed part by part with the validation's numbering of each column (datavet.privacy.names), so
``group-1|White`` means the same ``group-1`` as the private column's own figures. With ``by`` a plain
string nothing here is used and the figures are what they always were.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from datavet.figures.values import MISSING_GROUP
from datavet.privacy.names import extend

SEPARATOR = "|"
V = TypeVar("V")
By = str | list[str]


def by_columns(by: By) -> list[str]:
    """The attributes of a ``by``: one for a string, the list otherwise."""
    return [by] if isinstance(by, str) else list(by)


def by_text(by: By | None) -> str:
    """A ``by`` as people read it (``sex x race``); a string ``by`` unchanged."""
    if by is None:
        return ""
    return by if isinstance(by, str) else " x ".join(by)


def by_key(by: By) -> str:
    """A ``by`` as one metric key (``sex+race``); a string ``by`` unchanged."""
    return by if isinstance(by, str) else "+".join(by)


def rename_cells(cells: Mapping[tuple[str, ...], V], sizes: Mapping[tuple[str, ...], int],
                 private: Sequence[bool], names: Sequence[Mapping[str, str] | None]) -> dict[tuple[str, ...], V]:
    """``cells`` with the parts of private attributes given their opaque names. ``sizes`` (rows per
    cell) numbers a part the validation's numbering lacks (a figure function called on its own)."""
    out = dict(cells)
    for i, is_private in enumerate(private):
        if not is_private:
            continue
        per_value: dict[str, int] = {}
        for key, n in sizes.items():
            per_value[key[i]] = per_value.get(key[i], 0) + n
        mapping = extend(names[i] if i < len(names) else None, per_value, per_value)
        out = {key[:i] + (mapping[key[i]],) + key[i + 1:]: v for key, v in out.items()}
    return out


def joined(cells: Mapping[tuple[str, ...], V]) -> dict[str, V]:
    """Cells under their published names, sorted; the ``<missing>`` cell keeps its name."""
    return dict(sorted((MISSING_GROUP if key == (MISSING_GROUP,) else SEPARATOR.join(key), v)
                       for key, v in cells.items()))


def extremes(rates: Mapping[str, float | None], rows: Mapping[str, int],
             count_key: str = "rows") -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(highest, lowest) rate cell as ``{"cell", "rate", <count_key>}``; ties go to the cell named
    first. Cells without a rate are left out (``<missing>`` counts as a cell, as in max_rate and
    min_rate); (None, None) when no cell has one."""
    defined = sorted((c, r) for c, r in rates.items() if r is not None)
    if not defined:
        return None, None
    high = sorted(defined, key=lambda cr: -cr[1])[0]  # stable: the first-named of equal rates
    low = sorted(defined, key=lambda cr: cr[1])[0]
    return ({"cell": high[0], "rate": high[1], count_key: rows[high[0]]},
            {"cell": low[0], "rate": low[1], count_key: rows[low[0]]})


def private_kwargs(by: str | list[str], private: set[str]) -> dict[str, Any]:
    """A string ``by``: ``by_is_private`` as always; a list: ``private_by``, its private attributes."""
    if isinstance(by, str):
        return {"by_is_private": by in private}
    return {"private_by": [c for c in by if c in private]}
