"""Helpers the check types declare their published tables with (``CheckType.declare``): the cell of
a group (one attribute or a combination), rates with their numerator and complement, and a figure
over many cells."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from datavet.privacy.tables import MISSING, PRESENT, Key, Path, Tables, cell, not_

MISSING_GROUP = "<missing>"
SEPARATOR = "|"
POSITIVE = "\x00positive"  # a label's positive value when the report does not say which it is


def by_list(by: Any) -> list[str]:
    return [by] if isinstance(by, str) else list(by or [])


def group_key(by: Any, group: str) -> Key:
    """The cell of a group of ``by``: ``<missing>`` is the rows where the attribute (any of them) is
    missing; a combination "a|b" is one value per attribute."""
    cols = by_list(by)
    if group == MISSING_GROUP:
        return cell((cols[0], MISSING)) if len(cols) == 1 else cell(("\x00any:" + "+".join(cols), MISSING))
    parts = [group] if len(cols) == 1 else group.split(SEPARATOR)
    if len(parts) != len(cols):  # a name that does not split: a cell of its own
        return cell(("\x00group:" + "+".join(cols), group))
    return cell(*zip(cols, parts, strict=True))


def rate_of(value: Any, rows: Any) -> int | None:
    """The numerator behind a published rate of ``rows`` (exact: the rate is numerator/rows)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and isinstance(rows, int):
        return int(round(value * rows))
    return None


def split(t: Tables, total: Key, part: Key, rest: Key, total_n: Any, part_n: Any) -> None:
    """``total`` = ``part`` + ``rest``, with their exact values where known."""
    t.relation(total, [part, rest])
    t.value(part, part_n)
    if isinstance(total_n, int) and isinstance(part_n, int):
        t.value(rest, total_n - part_n)


def counts(t: Tables, figure: str, values: Any, key_of, total: Key | None = None) -> list[Key]:
    """Count figures ``{group: n}`` at ``(figure, group)``; their cells (summing to ``total`` if given)."""
    keys = []
    for g, n in (values or {}).items() if isinstance(values, dict) else ():
        k = key_of(g)
        t.count((figure, g), k, n)
        keys.append(k)
    if total is not None and keys:
        t.relation(total, keys)
    return keys


def over(t: Tables, paths: Iterable[Path], cells: list[Key], observed: dict[str, Any]) -> None:
    """Figures computed from all of ``cells`` (a difference, a distance, an extreme, a p-value)."""
    for path in paths:
        if path[0] in observed:
            t.derived(path, *cells)


def positive_of(t: Tables, label: str) -> str:
    return t.positives.get(label, POSITIVE)


__all__ = ["MISSING", "PRESENT", "cell", "not_"]
