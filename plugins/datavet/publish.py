"""The published form of a check report: small cells suppressed (metrics.md, "Small cells in
published documents").

The checks decide with exact counts; whatever leaves the process (the JSON of ``datavet check
--json``, the report the registry stores, the failure summary printed by the CLI and carried by
the Airflow failure, the DVC metrics) is this form: every count from 1 to threshold-1 becomes the
string ``"<threshold"`` (e.g. ``"<10"``), and the shares, ratios and rates that would give it back
become ``null``, with a note saying so. A count of 0 stays 0: an empty group singles nobody out.
Everything else stays a plain JSON number. Publishing is idempotent: a published report published
again is unchanged, so code that reads stored reports can publish whatever it reads.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from datavet.figures.outcome import Violation
from datavet.report import CheckReport, CheckResult


def small_note(threshold: int) -> str:
    return (f'counts below {threshold} are shown as "<{threshold}" and their shares, ratios and rates are '
            "withheld (null) as small cells")


def is_small(n: Any, threshold: int) -> bool:
    """A count of 1..threshold-1, or one already published as "<threshold"."""
    if isinstance(n, str):
        return n.startswith("<")
    return isinstance(n, int) and not isinstance(n, bool) and 0 < n < threshold


def shown(n: Any, threshold: int) -> Any:
    """The published form of a count."""
    return f"<{threshold}" if is_small(n, threshold) else n


def _known_size(n: Any, threshold: int) -> bool:
    """A group size that may be published (unknown sizes are treated as small)."""
    return isinstance(n, int) and not isinstance(n, bool) and not is_small(n, threshold)


class Publisher:
    def __init__(self, result: CheckResult, threshold: int) -> None:
        self.t = threshold
        self.o: dict[str, Any] = dict(result.observed)
        self.small: set[str] = set()  # groups whose figures are withheld
        self.withheld: set[str] = set()  # scalar figures withheld ("missing_rate", "top1_share", ...)
        self.touched = False

    def counts(self, key: str) -> set[str]:
        """Suppress the small counts of ``{group: count}``; returns the small groups."""
        value = self.o.get(key)
        if not isinstance(value, dict):
            return set()
        small = {str(g) for g, n in value.items() if is_small(n, self.t)}
        if small:
            self.o[key] = {g: shown(n, self.t) for g, n in value.items()}
            self.touched = True
        return small

    def null(self, key: str, groups: set[str]) -> None:
        value = self.o.get(key)
        if isinstance(value, dict) and groups & set(value):
            self.o[key] = {g: (None if g in groups else v) for g, v in value.items()}

    def count(self, key: str, *shares: str) -> bool:
        """Suppress a scalar count (and withhold the scalar shares computed from it)."""
        if key in self.o and is_small(self.o[key], self.t):
            self.o[key] = shown(self.o[key], self.t)
            self.touched = True
            for share in shares:
                self.withhold(share)
            return True
        return False

    def is_small(self, n: Any) -> bool:
        return is_small(n, self.t)

    def shown_in(self, record: dict[str, Any], key: str) -> dict[str, Any]:
        """``record`` with its count ``key`` in published form."""
        if is_small(record.get(key), self.t):
            self.touched = True
            return {**record, key: shown(record[key], self.t)}
        return record

    def withhold(self, key: str) -> None:
        if key in self.o and self.o[key] is not None:
            self.o[key] = None
            self.touched = True
        self.withheld.add(key)

    def rates_by_size(self, rates: str, sizes: str) -> None:
        """Per-group rates are withheld for groups whose size is small or unknown."""
        value = self.o.get(rates)
        if not isinstance(value, dict):
            return
        size = self.o.get(sizes) if isinstance(self.o.get(sizes), dict) else {}
        hidden = {g for g in value if not _known_size(size.get(g), self.t)}
        if hidden & {g for g, v in value.items() if v is not None}:
            self.touched = True
        self.small |= hidden
        self.counts(sizes)
        self.null(rates, hidden)


def publish_violation(v: Violation, p: Publisher) -> Violation:
    """A violated limit as published: a small count said in words, the share, ratio or rate of a small
    cell (or a scalar figure the check withheld) withheld; the limit always as the spec set it."""
    if v.text:
        return v
    if v.count and is_small(v.observed, p.t):
        p.touched = True
        return replace(v, observed=shown(v.observed, p.t), withheld=True)
    small_group = v.group is not None and v.group in p.small and not v.count
    if small_group or (v.group is None and v.figure in p.withheld):
        return replace(v, observed=None, withheld=True)
    return v


def publish_result(result: CheckResult, threshold: int, *, published: bool = False) -> CheckResult:
    """One check's published form (results of hand-added GX expectations pass unchanged)."""
    from datavet.checks.registry import CHECKS

    check = CHECKS.get(result.check)
    if check is None:
        return result.model_copy(deep=True)
    p = Publisher(result, threshold)
    check.publish(p)
    if result.violations:
        violations = [publish_violation(Violation.from_json(v), p) for v in result.violations]
        failures = [v.render() for v in violations] + result.failures[len(result.violations):]
        kept = [v.as_json() for v in violations]
    elif published or not result.failures:  # an older report, published when it was stored
        failures, kept = list(result.failures), []
    else:  # texts without their data cannot be checked for small cells: fail closed
        failures, kept = [f"{len(result.failures)} limit(s) violated (texts withheld: they may quote small "
                          "cells; re-run the checks for details)"], []
    notes = list(result.notes)
    note = small_note(threshold)
    if (p.touched or failures != result.failures) and note not in notes:
        notes.append(note)
    return result.model_copy(update={"observed": p.o, "failures": failures, "violations": kept,
                                     "notes": notes}, deep=True)


def publish_report(report: CheckReport, threshold: int) -> CheckReport:
    """The report as it may be published (see the module docstring); ``report`` is left as it was."""
    again = report.small_cell_threshold is not None
    return report.model_copy(update={"checks": [publish_result(c, threshold, published=again) for c in report.checks],
                                     "small_cell_threshold": threshold}, deep=True)
