"""Each check type owns its published sections (``CheckType.computed``, ``charts``, ``skews``, ``changes``):
the documents loop over the registry, and a hook is given the published form of its check's results
only. A check type registered at runtime cannot publish around datavet.privacy: a small count it
measured reaches its hooks withheld, and the exact report is nowhere in what they receive."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from datavet.changes import compute_changes
from datavet.checks.base import CheckType
from datavet.checks.registry import CHECKS, SECTION_ORDER, register, sections
from datavet.datasheet.answers import Answers
from datavet.datasheet.build import assemble
from datavet.datasheet.computed import build_sections
from datavet.datasheet.models import Validation
from datavet.datasheet.profile import DataProfile
from datavet.datasheet.views import charts_for
from datavet.privacy.declare import counts
from datavet.privacy.tables import cell
from datavet.report import CheckReport, CheckResult
from tests.datasheet.conftest import DATA, titanic_spec, write_spec

EXACT = {"A": 500, "B": 3}  # B: fewer rows than the threshold (10)


class _Probe(CheckType):
    """A check type added at runtime: it records what each of its section hooks is given."""

    name = "section_probe"
    in_gx = False

    def __init__(self) -> None:
        self.seen: dict[str, Any] = {}

    def declare(self, result: CheckResult, t: Any) -> None:
        counts(t, "counts", result.observed.get("counts"), lambda g: cell((result.column, g)))

    def computed(self, results: list[CheckResult], sheet: Any, out: Any) -> None:
        self.seen["computed"] = [r.observed["counts"] for r in results]
        self.seen["sheet"] = vars(sheet)

    def charts(self, computed: Any, out: dict[str, list[Any]]) -> None:
        self.seen["charts"] = True

    def changes(self, new: list[CheckResult], old: list[CheckResult], threshold: int, out: Any) -> None:
        self.seen["changes"] = [r.observed["counts"] for r in (*new, *old)]


@pytest.fixture
def probe() -> Iterator[_Probe]:
    check = register(_Probe())
    try:
        yield check
    finally:
        del CHECKS[check.name]


def _report() -> CheckReport:
    result = CheckResult(check=_Probe.name, column="Embarked", severity="warning", success=True,
                         observed={"counts": dict(EXACT)})
    return CheckReport(dataset="titanic", data_hash=None, rows=sum(EXACT.values()), success=True, checks=[result])


def _reachable(value: Any, depth: int = 0) -> Iterator[Any]:
    """Every object reachable from ``value`` through containers and attributes (a few levels deep)."""
    yield value
    if depth > 4:
        return
    children: list[Any] = []
    if isinstance(value, dict):
        children = list(value.values())
    elif isinstance(value, (list, tuple, set)):
        children = list(value)
    elif hasattr(value, "__dict__") and not isinstance(value, type):
        children = list(vars(value).values())
    for child in children:
        yield from _reachable(child, depth + 1)


def test_a_check_registered_at_runtime_gets_only_published_figures(tmp_path: Path, probe: _Probe) -> None:
    loaded = write_spec(tmp_path, titanic_spec(DATA / "titanic_train.csv", checks={}))
    exact = _report()
    computed, _ = build_sections(loaded, exact, DataProfile(rows=exact.rows, duplicate_rows=0, column_types={}))
    assert probe.seen["computed"] == [{"A": 500, "B": "<10"}]  # the small count withheld, the other as measured
    assert exact.checks[0].observed["counts"]["B"] == 3  # the caller's exact report is left as it was
    reachable = list(_reachable(probe.seen["sheet"]))
    assert all(r.small_cell_threshold == 10 for r in reachable if isinstance(r, CheckReport))  # published only
    assert not any(x is exact or x is exact.checks[0] for x in reachable)

    compute_changes(new_report=exact, old_report=exact, previous_tag="titanic/v1", rows_added_removed=(0, 0),
                    new_answers={}, old_answers={}, small_cell_threshold=10)
    assert probe.seen["changes"] == [{"A": 500, "B": "<10"}] * 2

    sheet = assemble(loaded, Answers(dataset="titanic"), computed, Validation(result_id=None, success=True, checks=[]),
                     data_md5="0" * 32, raw_missing=None, raw_duplicates=0)
    charts_for(sheet)  # the page's charts come from the computed figures, published already
    assert probe.seen["charts"] is True


def test_sections_follow_the_documented_order_then_registration() -> None:
    names = [check.name for check in sections()]
    assert names[:len(SECTION_ORDER)] == list(SECTION_ORDER)
    assert names[len(SECTION_ORDER):] == [n for n in CHECKS if n not in SECTION_ORDER]
