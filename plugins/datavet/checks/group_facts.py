"""Per-file or per-row facts compared across the groups of a protected attribute (the shared core of
``image_quality``, ``audio_quality`` and ``text_quality``).

Per group: ``rows`` (the items that have facts), the mean and the spread (population standard
deviation) of each fact, and per fact the largest standardized mean difference between two groups,
|m_a - m_b| / sqrt((s_a^2 + s_b^2) / 2), limited by ``max_smd``. Every figure comes from value
counts (value, rows), so the figures are exact whatever the engine and however the rows are ordered.
"""

from __future__ import annotations

import math
from itertools import combinations
from typing import Any

from datavet.checks.base import CheckType
from datavet.figures.outcome import Outcome, check_max
from datavet.figures.values import MISSING_GROUP
from datavet.privacy.declare import group_key, over
from datavet.privacy.names import extend, rename

Moments = tuple[int, float | None, float | None]


def moments(pairs: list[tuple[float, int]]) -> Moments:
    """(n, mean, population standard deviation) of values given as (value, rows)."""
    n = sum(k for _, k in pairs)
    if n == 0:
        return 0, None, None
    mean = math.fsum(v * k for v, k in pairs) / n
    var = math.fsum(k * (v - mean) ** 2 for v, k in pairs) / n
    return n, mean, math.sqrt(var)


def smd(a: Moments, b: Moments) -> float | None:
    """|m_a - m_b| / sqrt((s_a^2 + s_b^2) / 2); 0 for equal means, None when the pooled spread is 0."""
    if a[1] is None or b[1] is None:
        return None
    diff = abs(a[1] - b[1])
    pooled = math.sqrt((a[2] ** 2 + b[2] ** 2) / 2)
    if diff == 0:
        return 0.0
    return diff / pooled if pooled > 0 else None


def compare_groups(values: dict[str, dict[str, list[tuple[float, int]]]], rows: dict[str, int], facts: list[str],
                   *, max_smd: float | None, private_by: bool = False, by_names: dict[str, str] | None = None,
                   what: str = "items") -> tuple[Outcome, dict[str, str] | None]:
    """The Outcome with rows, means, spreads, smd, smd_groups, largest_smd, largest_smd_fact of
    ``values`` ({group: {fact: [(value, rows)]}}) and ``rows`` ({group: items with facts}); with
    ``private_by`` the groups get their opaque names (returned, so a caller renames its own figures)."""
    mapping = None
    if private_by:
        mapping = extend(by_names, rows, rows)
        rows, values = rename(rows, mapping), rename(values, mapping)
    stats = {g: {f: moments(values[g][f]) for f in facts} for g in sorted(values)}
    out = Outcome({"rows": {g: rows[g] for g in sorted(rows)},
                   "means": {g: {f: stats[g][f][1] for f in facts} for g in stats},
                   "spreads": {g: {f: stats[g][f][2] for f in facts} for g in stats},
                   "smd": {}, "smd_groups": {}, "largest_smd": None, "largest_smd_fact": None})
    for f in facts:
        best: tuple[float, list[str]] | None = None
        for a, b in combinations(sorted(stats), 2):
            d = smd(stats[a][f], stats[b][f])
            if d is not None and (best is None or d > best[0]):
                best = (d, [a, b])
        out.observed["smd"][f] = None if best is None else best[0]
        out.observed["smd_groups"][f] = None if best is None else best[1]
        check_max(out, "smd", out.observed["smd"][f], "max_smd", max_smd if best is not None else None, group=f)
    defined = {f: d for f, d in out.observed["smd"].items() if d is not None}
    if defined:
        top = max(defined, key=lambda f: defined[f])
        out.observed["largest_smd"], out.observed["largest_smd_fact"] = defined[top], top
    if len(stats) < 2:
        out.notes.append(f"fewer than two groups with {what}: no standardized mean difference is defined")
    return out, mapping


class GroupFactsCheck(CheckType):
    """A check whose figures are ``compare_groups``'s: each group's items are its cell; its means, spreads
    (and ``per_group`` figures) give that cell away, the differences every cell."""

    metric: str = ""  # the DVC metrics key of its SMDs
    per_group: tuple[str, ...] = ()  # more figures keyed by group, each derived from the group's cell
    total: str = ""  # the figure counting every item, those of rows without a group too

    def declare(self, result: Any, t: Any) -> None:
        o = result.observed
        keys = []
        for g, n in (o.get("rows") or {}).items():
            key = group_key(result.by, g)
            t.count(("rows", g), key, n)
            for figure in ("means", "spreads", *self.per_group):
                if figure in o:
                    t.derived((figure, g), key)
            keys.append(key)
        over(t, [("smd",), ("smd_groups",), ("largest_smd",), ("largest_smd_fact",)], keys, o)
        if keys:  # the total less the published groups would give a withheld group back: null with it
            over(t, [(self.total,)], [*keys, group_key(result.by, MISSING_GROUP)], o)

    def metrics(self, result: Any, out: dict[str, Any]) -> None:
        smds = {f: d for f, d in (result.observed.get("smd") or {}).items() if d is not None}
        out.setdefault(self.metric, {})[result.by or ""] = smds
