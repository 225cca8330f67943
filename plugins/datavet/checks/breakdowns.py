"""Default breakdowns: label balance and missingness parity by every protected attribute and by their
intersection, without the spec listing each one (an auditor expects them; docs/checks.md).

A spec's own entries come first and keep their limits and severity; a breakdown the spec already lists
(the same label or column, the same set of attributes) is not repeated. The defaults are warnings
without limits: they add figures to the report and the datasheet, and never block certification.
A protected column with ``breakdown: false`` is left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from datavet.checks.cells import by_columns


def attributes(spec: Any) -> list[str]:
    """The protected columns taking part in the default breakdowns, in the spec's order."""
    return [c for c in spec.columns_with_role("protected") if spec.columns[c].breakdown]


def default_bys(spec: Any, subject: str, listed: Iterable[str | list[str]]) -> list[str | list[str]]:
    """Each protected attribute, then their intersection (two or more), that ``listed`` (the ``by`` of
    the spec's entries on ``subject``) does not already cover; never the subject itself."""
    covered = {frozenset(by_columns(by)) for by in listed}
    attrs = [a for a in attributes(spec) if a != subject]
    wanted: list[str | list[str]] = list(attrs)
    if len(attrs) >= 2:
        wanted.append(list(attrs))
    return [by for by in wanted if frozenset(by_columns(by)) not in covered]
