"""The published form of a check report (metrics.md, "Small cells in published documents").

The checks decide with exact counts; whatever leaves the process (``datavet check --json``, the
report the registry stores, the failure summary of the CLI and the Airflow failure, the DVC metrics,
the datasheet in every format, Croissant, the HF card, OpenLineage facets, the auditor pages) is this
form. Every check type declares its cells and figures (``CheckType.declare``); :func:`decide`
withholds every small cell (primary) and the cells that would give one back (complementary), audited
by a linear program; here the decision is applied: a small count becomes ``"<k"``, a complementary
one ``"withheld"``, and every share, rate, ratio, interval or difference built on a withheld cell
becomes null. Publishing is idempotent: a published report published again is unchanged.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from datavet.errors import PrivacyError
from datavet.figures.outcome import Violation
from datavet.privacy.audit import COMPLEMENTARY, PRIMARY, Audit
from datavet.privacy.rule import COMPLEMENTARY as WITHHELD_TEXT
from datavet.privacy.rule import is_small, small_note
from datavet.privacy.suppress import Decision, decide, published_cells
from datavet.privacy.tables import Key, Path, Tables, describe
from datavet.report import CheckReport, CheckResult

# a violation's figure -> the observed figure it reads (when the names differ)
_FIGURE_OF = {"share_upper": "share_intervals", "ratio_upper": "ratio_intervals",
              "disparate_impact_upper": "disparate_impact_interval",
              "parity_difference_lower": "parity_difference_interval", "abs_rate_change": "rate_changes"}


def declare(results: list[CheckResult], positives: dict[str, str] | None = None,
            left_out: set[int] | frozenset[int] = frozenset()) -> Tables:
    """Every result's cells and figures, as its check type declares them, in one set of tables
    (``left_out``: results withheld whole, so nothing of theirs is published)."""
    from datavet.checks.registry import CHECKS
    from datavet.splits import SPLIT_COLUMN

    tables = Tables(positives=dict(positives or {}))
    splits = sorted({r.split for r in results if r.split is not None})
    if splits:  # the splits partition the rows: a reader adds a group's split counts up to the whole's
        tables.domain(SPLIT_COLUMN, splits)
    for i, result in enumerate(results):
        check = CHECKS.get(result.check)
        if check is None or i in left_out:
            continue
        tables.result, tables.version = i, None
        tables.split = None if result.split is None else (SPLIT_COLUMN, result.split)
        tables.names[i] = f"{result.check} on {result.subject}"
        check.declare(result, tables)
    tables.version, tables.split = None, None
    return tables


def _get(o: Any, path: Path) -> Any:
    for p in path:
        if isinstance(o, dict) and p in o or isinstance(o, list) and isinstance(p, int) and p < len(o):
            o = o[p]
        else:
            return None
    return o


def _set(o: Any, path: Path, value: Any) -> bool:
    for p in path[:-1]:
        o = _get(o, (p,))
    last = path[-1]
    if isinstance(o, dict) and last in o:
        o[last] = value
        return True
    if isinstance(o, list) and isinstance(last, int) and last < len(o):
        o[last] = value
        return True
    return False


def _apply(result: CheckResult, i: int, tables: Tables, decision: Decision, *, published: bool,
           zeros: bool = True) -> CheckResult:
    t = decision.threshold
    o = result.model_copy(deep=True).observed
    hidden: dict[Path, str] = {}
    declared: set[Path] = set()
    for f in (f for f in tables.figures if f.result == i):
        declared.add(f.path[:2])
        why = decision.hides(f)
        if why is None:
            continue
        value = _get(o, f.path)
        new = (value if value == 0 and zeros else f"<{t}" if why == PRIMARY else WITHHELD_TEXT) if f.count else None
        if _set(o, f.path, new):
            hidden[f.path[:2]] = why
    violations, failures = _violations(result, hidden, declared, t, published)
    notes = list(result.notes)
    if (hidden or failures != result.failures) and small_note(t) not in notes:
        notes.append(small_note(t))
    return result.model_copy(update={"observed": o, "failures": failures, "violations": violations,
                                     "notes": notes}, deep=True)


def _violations(result: CheckResult, hidden: dict[Path, str], declared: set[Path], t: int,
                published: bool) -> tuple[list[dict[str, Any]], list[str]]:
    if not result.violations:
        if published or not result.failures:  # an older report, published when it was stored
            return [], list(result.failures)
        # texts without their data cannot be checked for small cells: fail closed
        return [], [f"{len(result.failures)} limit(s) violated (texts withheld: they may quote small cells; "
                    "re-run the checks for details)"]
    out = []
    for v in map(Violation.from_json, result.violations):
        out.append(_violation(v, hidden, declared, t))
    failures = [v.render() for v in out] + result.failures[len(result.violations):]
    return [v.as_json() for v in out], failures


def _violation(v: Violation, hidden: dict[Path, str], declared: set[Path], t: int) -> Violation:
    """A violated limit as published: a withheld count said in words, a withheld figure withheld, the
    limit always as the spec set it. A group's figure nobody declared is withheld when anything of its
    group is (fail closed); a small count is never quoted."""
    if v.text or v.withheld:
        return v
    if v.count and is_small(v.observed, t):  # a small count is never quoted, declared or not
        return replace(v, observed=f"<{t}", withheld=True)
    figure = _FIGURE_OF.get(v.figure, v.figure)
    path = (figure, v.group) if v.group is not None else (figure,)
    why = hidden.get(path)
    if why is None and path not in declared and v.group is not None:
        why = next((w for p, w in hidden.items() if len(p) > 1 and p[1] == v.group), None)
    if why is None:
        return v
    if v.count and why == PRIMARY:
        return replace(v, observed=f"<{t}", withheld=True)
    return replace(v, observed=None, withheld=True, count=False)


def withheld_cells(tables: Tables, decision: Decision) -> list[dict[str, Any]]:
    """Which cells were withheld and why, for the datasheet: the table, the figure and the cell."""
    out, seen = [], set()
    for f in tables.figures:
        if not f.count or f.cells[0] not in decision.withheld:
            continue
        entry = (tables.names.get(f.result, ""), str(f.path[0]), describe(f.cells[0]))
        if entry in seen:
            continue
        seen.add(entry)
        out.append({"table": entry[0], "figure": entry[1], "cell": entry[2], "why": decision.withheld[f.cells[0]]})
    return out


_DECIDED: dict[tuple[str, int], tuple[Tables, Decision]] = {}  # one run publishes one report several times


def decided(report: CheckReport, threshold: int) -> tuple[Tables, Decision]:
    """The report's tables and the decision on them (computed once per report and threshold).

    The checks the spec names are decided first. A default breakdown (label balance or missingness by
    every protected attribute, which nobody asked for by name) is published only where it costs them
    nothing: if adding them would withhold any more of their figures, or no suppression can protect
    their own small cells, the breakdowns are left out whole (all of them: each trial is a full decision,
    and the audit is the costly part). A check the spec names fails closed (PrivacyError)."""
    key = (hashlib.sha256(report.model_dump_json().encode()).hexdigest(), threshold)
    if key not in _DECIDED:
        breakdowns = [i for i, c in enumerate(report.checks) if c.breakdown]
        tables, decision = _decide(report, threshold, set(breakdowns))
        if breakdowns:
            own = {k for f in tables.figures for k in f.cells}
            cost = _cost(decision, own)
            left_out = set(breakdowns)
            # all of them, or none: two decisions at most, the second within a few times the first's cost
            candidate = _try(report, threshold, own, cost, budget=max(200, 3 * decision.cost))
            if candidate is not None:
                left_out = set()
                tables, decision = candidate
            decision.left_out = left_out
        if len(_DECIDED) >= 8:
            _DECIDED.pop(next(iter(_DECIDED)))
        _DECIDED[key] = (tables, decision)
    return _DECIDED[key]


def _decide(report: CheckReport, threshold: int, left_out: set[int], budget: int | None = None,
            stop: Callable[[list[Key]], bool] | None = None) -> tuple[Tables, Decision]:
    tables = declare(report.checks, report.positives, left_out)
    tables.always[()] = report.rows  # the report says how many rows it checked
    return tables, decide(tables, threshold, report.dataset, budget, stop)


def _cost(decision: Decision, own: set) -> dict:
    """What a decision withholds of the named checks' cells."""
    return {k: why for k, why in decision.withheld.items() if k in own}


def _try(report: CheckReport, threshold: int, own: set, cost: dict, budget: int) -> tuple[Tables, Decision] | None:
    """The decision with every breakdown published, when it withholds no more of the named checks'
    cells than ``cost``; None otherwise (or when it cannot be protected within ``budget``)."""
    def costs_more(added: list[Key]) -> bool:  # a named check's cell withheld that the first decision published
        return any(k in own and cost.get(k) != COMPLEMENTARY for k in added)

    try:
        tables, decision = _decide(report, threshold, set(), budget, costs_more)
    except PrivacyError:
        return None
    return (tables, decision) if _cost(decision, own) == cost else None


def _left_out(result: CheckResult, t: int) -> CheckResult:
    """``result`` with every figure withheld (its own tables, every cell withheld; 0 stays 0)."""
    tables = declare([result])
    withheld = {k: PRIMARY if 0 < tables.values.get(k, t) < t else COMPLEMENTARY
                for f in tables.figures for k in f.cells}
    out = _apply(result, 0, tables, Decision(t, withheld), published=False, zeros=False)  # a 0 is a figure too
    note = ("left out: no suppression protects this breakdown's small cells from the other published "
            "figures, so none of its figures is published")
    return out.model_copy(update={"notes": [*out.notes, note]})


def publish_report(report: CheckReport, threshold: int) -> CheckReport:
    """The report as it may be published (see the module docstring); ``report`` is left as it was. Every
    surface publishes this one form, so all of them carry the same decision."""
    if report.small_cell_threshold is not None:  # published already, decided then
        return report.model_copy(deep=True)
    tables, decision = decided(report, threshold)
    checks = [_left_out(c, threshold) if i in decision.left_out else _apply(c, i, tables, decision, published=False)
              for i, c in enumerate(report.checks)]
    return report.model_copy(update={"checks": checks, "small_cell_threshold": threshold,
                                     "withheld_cells": withheld_cells(tables, decision)}, deep=True)


def publish_extra(report: CheckReport, threshold: int, result: CheckResult) -> CheckResult | None:
    """``result``, a table a document adds to the report's (the datasheet's label classes), published
    under the report's own decision: its small cells withheld, and the whole table left out (None)
    when the audit finds that it would let a reader narrow a withheld cell down. The report's other
    figures are not touched, so every document carries the same decision."""
    if report.small_cell_threshold is not None:
        raise ValueError("publish_extra needs the exact report")
    _, decision = decided(report, threshold)
    tables = declare([*report.checks, result], report.positives, decision.left_out)
    tables.always[()] = report.rows
    i = len(report.checks)
    withheld = dict(decision.withheld)
    for f in tables.figures:
        if f.result == i and f.count and 0 < tables.values.get(f.cells[0], 0) < threshold:
            withheld[f.cells[0]] = PRIMARY
    small = [k for k, why in withheld.items() if why == PRIMARY and k in tables.values]
    if small:
        keys, relations = tables.closure()
        audit = Audit(keys, relations, threshold)
        published = published_cells(tables, withheld)
        if any(audit.pinned(k, published, withheld) for k in small):
            return None
    return _apply(result, i, tables, Decision(threshold, withheld), published=False)


def publish_result(result: CheckResult, threshold: int, *, published: bool = False) -> CheckResult:
    """One check's published form on its own (results of hand-added GX expectations pass unchanged)."""
    tables = declare([result])
    decision = decide(tables, threshold)
    return _apply(result, 0, tables, decision, published=published)


__all__ = ["COMPLEMENTARY", "PRIMARY", "declare", "publish_report", "publish_result", "small_note"]
