"""The one meaning of "small" (metrics.md, "Small cells in published documents").

A count of individuals from 1 to threshold-1 is a small cell: it is published as ``"<threshold"``.
0 stays 0 (an empty group singles nobody out). A cell withheld only so that a small cell cannot be
worked out from totals (complementary suppression) is published as ``"withheld"``. Every other count
is a plain number.
"""

from __future__ import annotations

from typing import Any

COMPLEMENTARY = "withheld"


def small_note(threshold: int) -> str:
    return (f'counts below {threshold} are shown as "<{threshold}", counts that would give one back are shown as '
            f'"{COMPLEMENTARY}", and the shares, ratios, rates and intervals built on either are withheld (null)')


def is_count(n: Any) -> bool:
    """A plain count (numpy integers included), not a published "<k" or "withheld"."""
    return (isinstance(n, int) or type(n).__name__.startswith(("int", "uint"))) and not isinstance(n, bool)


def is_small(n: Any, threshold: int) -> bool:
    """A count of 1..threshold-1, or a count already published as withheld ("<threshold" or "withheld")."""
    if isinstance(n, str):
        return n.startswith("<") or n == COMPLEMENTARY
    return is_count(n) and 0 < n < threshold


def shown(n: Any, threshold: int) -> Any:
    """The published form of a count on its own (no complementary suppression)."""
    return f"<{threshold}" if is_count(n) and 0 < n < threshold else n


def is_withheld(value: Any) -> bool:
    """A published count that is not a number: "<k" or "withheld"."""
    return isinstance(value, str) and (value.startswith("<") or value == COMPLEMENTARY)
