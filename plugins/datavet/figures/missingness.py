"""Missingness of one column, and its parity across the groups of an attribute (metrics.md)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from datavet.figures.outcome import Outcome, cap_failures, check_max, fmt, ratio
from datavet.figures.privacy import extend, rename
from datavet.figures.tables import missing_by_group, token_counts, total_rows


def missingness(table: dict[str, Any], column: str, *, max_rate: float | None = None) -> Outcome:
    """rows, missing_count, missing_rate, token_counts of ``column`` from the ungrouped missing counts."""
    rows = total_rows(table)
    tokens = token_counts(table, column)
    missing = sum(tokens.values())
    out = Outcome({"rows": rows, "missing_count": missing, "missing_rate": ratio(missing, rows),
                   "token_counts": tokens})
    why = ""
    if rows == 0:
        why = " (the batch has no rows)"
        out.notes.append("missing_rate is null: the batch has no rows")
    check_max(out, "missing_rate", out.observed["missing_rate"], "max_rate", max_rate, why)
    return out


def missingness_parity(table: dict[str, Any], column: str, *, max_diff: float | None = None,
                       max_ratio: float | None = None, private_by: bool = False,
                       by_names: Mapping[str, str] | None = None) -> Outcome:
    """Missing rate of ``column`` per group of the grouped missing counts' attribute; ``group_rows``
    gives each group's rows (the denominator of its rate). ``by_names``: the validation's numbering of
    a private attribute (datavet.figures.privacy)."""
    per_group = missing_by_group(table, column)
    if private_by:
        sizes = {g: r for g, (r, _) in per_group.items()}
        per_group = rename(per_group, extend(by_names, sizes, sizes))
    rates = {g: ratio(m, r) for g, (r, m) in sorted(per_group.items())}
    defined = [v for v in rates.values() if v is not None]
    out = Outcome({"group_missing_rate": rates,
                   "group_rows": {g: r for g, (r, _) in sorted(per_group.items())},
                   "max_rate": max(defined) if defined else None,
                   "min_rate": min(defined) if defined else None,
                   "max_diff": None, "max_ratio": None})
    if not defined:
        out.notes.append("no group has rows: every parity figure is null")
    else:
        out.observed["max_diff"] = out.observed["max_rate"] - out.observed["min_rate"]
        out.observed["max_ratio"] = ratio(out.observed["max_rate"], out.observed["min_rate"])
        if out.observed["max_ratio"] is None:
            out.notes.append("max_ratio is null: min_rate is 0 (some group has no missing cells)")
    check_max(out, "max_diff", out.observed["max_diff"], "max_diff", max_diff)
    if max_ratio is not None and out.observed["max_ratio"] is None and defined:
        # min_rate = 0 while another group has missing cells: the ratio is unbounded.
        if out.observed["max_rate"] > 0:
            out.failures.append(f"max_ratio is unbounded (min_rate = 0, max_rate = "
                                f"{fmt(out.observed['max_rate'])}) > max_ratio {fmt(max_ratio)}")
    else:
        check_max(out, "max_ratio", out.observed["max_ratio"], "max_ratio", max_ratio)
    out.failures = cap_failures(out.failures)
    return out
