"""C8, the recommended splits, answered with figures: each split's rows and the shares of its protected
groups, all read from the report's published form (a split's counts are cells of the same tables as
the whole's, so the privacy layer withheld what would give a small cell back: C8 shows what it kept)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from datavet.checks.missingness import NAME as MISSINGNESS
from datavet.checks.representation import NAME as REPRESENTATION
from datavet.checks.split_shift import NAME as SPLIT_SHIFT
from datavet.datasheet.models import SplitFigure
from datavet.privacy.masking import publish_count

if TYPE_CHECKING:  # pragma: no cover
    from datavet.datasheet.computed import Sheet


def split_figures(sheet: Sheet) -> list[SplitFigure]:
    """One figure per split of a ``source.splits`` spec, in the spec's order; none for other specs."""
    names = list(sheet.spec.source.splits or {})
    if not names:
        return []
    checks = sheet.report.checks
    protected = sheet.spec.columns_with_role("protected")
    out = []
    for name in names:
        rows = next((r.observed.get("rows") for r in checks if r.split == name and r.check == MISSINGNESS), None)
        groups: dict[str, Any] = {}
        for column in protected:
            counts, shares = _groups_of(checks, name, column)
            if counts:
                groups[column] = sheet.shares(column, counts, shares)
        out.append(SplitFigure(split=name, rows=None if rows is None else publish_count(rows, sheet.t),
                               groups=groups))
    return out


def _groups_of(checks: list, split: str, column: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A column's published counts and shares in ``split``: from the split_shift check that compares the
    splits on it, else from that split's own representation check."""
    for r in checks:
        if r.check == SPLIT_SHIFT and r.split is None and r.column == column:
            counts = (r.observed.get("counts") or {}).get(split)
            if counts:
                return dict(counts), dict((r.observed.get("shares") or {}).get(split) or {})
    for r in checks:
        if r.check == REPRESENTATION and r.split == split and r.column == column:
            return dict(r.observed.get("counts") or {}), dict(r.observed.get("shares") or {})
    return {}, {}
