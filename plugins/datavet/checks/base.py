"""What a check type is: everything datavet needs to know about one kind of check, in one module.

A check module (``datavet.checks.<name>``) holds its limits model (what the spec validates), the
expectation configurations it adds to the GX suite, the columns it reads, its figures (pure
functions from count tables, in the same module), its published tables (the cells its figures
give away, for datavet.privacy), its DVC metrics and its published sections (its datasheet figures and
charts, Croissant sentences and part of the changes section, all from published results). The registry
table (``datavet.checks.registry``) lists them; the suite builder, results, report, publish, metrics,
datasheet, Croissant and changes loop over that table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:  # pragma: no cover
    from datavet.changes import Changes
    from datavet.datasheet.computed import Sheet
    from datavet.datasheet.models import Computed, Datasheet
    from datavet.datasheet.views import Chart
    from datavet.privacy.tables import Tables
    from datavet.report import CheckResult
    from datavet.spec import DatasetSpec, LoadedSpec

SEVERITY = {"error": "critical", "warning": "warning"}  # datavet's words -> GX's


@dataclass(frozen=True)
class PreviousVersion:
    """The newest certified version of the dataset with other bytes (what the drift check compares
    with): its tag, md5, and the engine's value counts of its certified bytes by some columns
    (a ``datavet.figures.tables`` value-counts table, exact: nothing withheld)."""

    tag: str
    md5: str
    value_counts: Callable[[list[str]], dict[str, Any]]


def no_previous() -> PreviousVersion | None:
    return None


@dataclass(frozen=True)
class SuiteContext:
    """What a check needs to configure its expectations: the spec, the data's columns, the private
    columns (their values never published), the missing tokens and, asked for only by the checks that
    compare versions (it reads the registry), the previous certified version."""

    loaded: LoadedSpec
    columns: list[str]
    private: set[str]
    tokens: list[str]
    previous: Callable[[], PreviousVersion | None] = field(default=no_previous)


class CheckType:
    """Base class; a subclass per check module, registered in ``datavet.checks.registry.CHECKS``."""

    name: ClassVar[str] = ""
    expectation_type: ClassVar[str] = ""  # the GX expectation's snake_case type
    expectation_module: ClassVar[str] = ""  # importing it registers the class with GX
    limit_keys: ClassVar[tuple[str, ...]] = ()  # kwargs that are limits (shown with every result)
    spec_key: ClassVar[str | None] = None  # key under the spec's ``checks:`` (None: inside another's block)
    spec_annotation: ClassVar[Any] = None
    spec_is_list: ClassVar[bool] = True
    in_gx: ClassVar[bool] = True  # False: computed from the version's own facts by evaluate(), not by GX
    reads_image_content: ClassVar[bool] = False  # True: a tree's version computes image content facts for it
    reads_audio_content: ClassVar[bool] = False  # True: a tree's version decodes audio for its content facts
    numbers_groups: ClassVar[bool] = False  # True: its ``counts`` number a private column's groups for the documents
    groups_by: ClassVar[bool] = False  # True: its violations name groups of its ``by`` attributes
    per_split: ClassVar[bool] = True  # False: it compares splits or versions itself, so runs on the whole only

    def configurations(self, checks: Any, ctx: SuiteContext) -> list[dict[str, Any]]:
        """The generated expectations of this check type: ``{"kwargs", "severity"}`` each."""
        raise NotImplementedError

    def columns(self, checks: Any) -> set[str]:
        """Every data column the spec's entries of this check name (all must exist in the data)."""
        return set()

    def problems(self, spec: DatasetSpec) -> list[str]:
        """Cross-field problems only the whole spec shows (e.g. a label without a positive value)."""
        return []

    def reads_text_files(self, checks: Any) -> bool:
        """Whether this check's entries read the text inside a tree's files (its text facts)."""
        return False

    def label_positives(self, checks: Any) -> dict[str, str]:
        """{label column: positive value} this check's entries set."""
        return {}

    def references(self, checks: Any) -> list[tuple[str, Any]]:
        """(column, reference) pairs whose reference must resolve before any check runs."""
        return []

    def evaluate(self, checks: Any, facts: dict[str, Any]) -> list[CheckResult]:
        """Results of a check computed outside GX (``in_gx = False``) from facts the version carries
        (``{"tree": integrity}`` for a tree of files); GX checks return none here."""
        return []

    def stored(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """The kwargs as the suite file keeps them. The suite is committed with the project, so kwargs
        that carry figures of the data (the previous version's exact counts) are replaced by a
        description here; the suite in memory gets the full kwargs before it is validated."""
        return kwargs

    def subject(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """The report's column / columns / by of one result, from its expectation kwargs."""
        return {"column": kwargs.get("column"), "columns": kwargs.get("columns"), "by": kwargs.get("by")}

    def declare(self, result: CheckResult, t: Tables) -> None:
        """Declare the count cells behind this result's figures, which figure gives which cells away, and
        the totals they add up to (datavet.privacy decides what is withheld; every check type must say)."""
        raise NotImplementedError

    def metrics(self, result: CheckResult, out: dict[str, Any]) -> None:
        """Add this published result's figures to the DVC metrics ``out``."""

    # The published sections. Each hook is given this check's results in their published form only
    # (datavet.privacy's one decision for the report), or the datasheet built from them: the exact report
    # never reaches a check's section, so no check can publish around the privacy layer. The documents
    # call the hooks in ``datavet.checks.registry.sections()`` order.

    def group_columns(self, result: CheckResult) -> list[str | None]:
        """The attributes whose values a result's violations name as their group (labelled as the
        sections label them when private): its columns, else its ``by`` (``groups_by``) or its column."""
        from datavet.checks.cells import by_columns

        return list(result.columns or []) or (by_columns(result.by) if self.groups_by and result.by
                                              else [result.column])

    def computed(self, results: list[CheckResult], sheet: Sheet, out: Computed) -> None:
        """Add this check's figures to the datasheet's computed sections ``out`` (``sheet``: the spec, the
        published report and the helpers that label and order published figures)."""

    def charts(self, computed: Computed, out: dict[str, list[Chart]]) -> None:
        """Add the charts of this check's computed figures to the page's chart groups ``out``."""

    def skews(self, sheet: Datasheet) -> list[str]:
        """The skews this check measured, one sentence per figure, for Croissant's ``rai:dataBiases``."""
        return []

    def changes(self, new: list[CheckResult], old: list[CheckResult], threshold: int, out: Changes) -> None:
        """Add this check's part of what changed between two certified versions to ``out``, from both
        versions' published results (``old``: the previous version's)."""


def expectation(check: CheckType, severity: str, *, breakdown: bool = False, splits: list[str] | None = None,
                **kwargs: Any) -> dict[str, Any]:
    """One generated expectation configuration (unset limits dropped); ``breakdown``: a default
    breakdown the spec does not list (datavet.checks.breakdowns); ``splits``: the entry's limits apply
    to these splits only (the suite builder makes one expectation per split)."""
    out = {"type": check.expectation_type, "check": check.name, "severity": SEVERITY[severity],
           "kwargs": {k: v for k, v in kwargs.items() if v is not None}}
    if splits is not None:
        out["splits"] = list(splits)
    return {**out, "breakdown": True} if breakdown else out
