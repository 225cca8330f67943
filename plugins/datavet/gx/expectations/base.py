"""What every datavet expectation shares: the shared metric it asks for, and turning an Outcome
(datavet.figures) into a GX result.

A datavet expectation declares no per-check metric: it names the count tables it reads (``_table``,
``count_plan``) and asks GX for the one metric ``datavet.count_tables`` with the validation's whole
plan as kwargs (datavet.gx.plan), so GX computes every table of the suite in one metric, in as few
passes as the engine can, and hands it to every expectation. On an engine with no provider of that
metric (the hook for Spark) it asks for its own table's per-table metric instead; GX computes each of
those once per batch too. Figures never contain raw values of columns the spec
marks identifying or sensitive (the ``private`` kwargs): datavet.figures gives their groups opaque
names before anything reaches the result. The numbering is one per private column per validation:
every expectation involving a private column also asks for that column's own value counts (the
same metric a representation check of the column computes, so GX computes it once) and numbers the
groups from them (datavet.privacy.names.column_names).
"""

from __future__ import annotations

from typing import Any, ClassVar

from great_expectations.expectations.expectation import BatchExpectation
from great_expectations.expectations.registry import get_metric_kwargs, get_metric_provider
from great_expectations.validator.metric_configuration import MetricConfiguration

from datavet.figures import Outcome
from datavet.figures.values import unique_tokens
from datavet.gx.plan import CountPlan, missing_plan, plan_for, value_plan
from datavet.privacy.names import column_names
from datavet.recode import recode_table
from datavet.splits import SPLIT_COLUMN

VALUE_COUNTS = "datavet.value_counts"
MISSING_COUNTS = "datavet.missing_counts"
COUNT_TABLES = "datavet.count_tables"
NAMES = "datavet.names:"  # + column: the dependency that numbers a private column's groups


class DatavetExpectation(BatchExpectation):
    """Base class: subclasses name their table (``_table``) and derive an Outcome (``_outcome``)."""

    missing_tokens: list[str] = []
    recode: dict[str, dict[str, Any]] = {}  # the spec's values/bins (datavet.recode), applied to every table
    split: str | None = None  # a source.splits version: the figures of this split only (None: the whole)

    check: ClassVar[str] = ""
    metric_dependencies: ClassVar[tuple] = ()
    library_metadata: ClassVar[dict[str, Any]] = {
        "maturity": "production", "tags": ["datavet", "bias", "representation"],
        "contributors": ["datavet"], "requirements": ["country_converter", "scipy"],
    }

    def _get_success_kwargs(self) -> dict[str, Any]:
        """GX's success kwargs, with the expectation's configuration built once: GX's own method
        builds it (a pydantic copy of every field) once per success key, about 1,600 times for a
        38-check suite's validation, 0.1 s of a 1,000-row check."""
        kwargs = self.configuration.kwargs
        success = {key: kwargs.get(key, self._get_default_value(key)) for key in self.success_keys}
        success.update(self._get_domain_kwargs())
        return success

    def _table(self) -> tuple[str, dict[str, Any]]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _outcome(self, table: dict[str, Any], names: dict[str, dict[str, str]]) -> Outcome:  # pragma: no cover
        """``names``: {private column: {raw group: opaque name}}, one numbering per validation."""
        raise NotImplementedError

    def _private(self) -> list[str]:
        """The columns of this check whose values must not be published."""
        return []

    def _tokens(self) -> list[str]:
        return unique_tokens(self.missing_tokens or [])

    def _counted(self) -> tuple[str, dict[str, Any]]:
        """``_table()``, keyed by the split column too when this expectation is one split's: the same
        scan answers the whole and every split (one more column in each grouping set)."""
        name, kwargs = self._table()
        if self.split is None:
            return name, kwargs
        key = "group_columns" if name == VALUE_COUNTS else "by"
        return name, {**kwargs, key: [*kwargs[key], SPLIT_COLUMN]}

    def count_plan(self) -> CountPlan:
        """The count tables this expectation reads: its own, and each private column's value counts."""
        name, kwargs = self._counted()
        own = (value_plan(kwargs["group_columns"]) if name == VALUE_COUNTS
               else missing_plan(kwargs["by"], kwargs["missing_tokens"]))
        return CountPlan.union([own, *(value_plan([c]) for c in self._private())])

    def get_validation_dependencies(self, execution_engine=None, runtime_configuration: dict | None = None):
        deps = super().get_validation_dependencies(execution_engine=execution_engine,
                                                   runtime_configuration=runtime_configuration)
        name, value_kwargs = self._counted()
        domain = get_metric_kwargs(name, self.configuration, runtime_configuration)["metric_domain_kwargs"]

        def need(key: str, metric: str, kwargs: dict[str, Any]) -> None:
            deps.set_metric_configuration(metric_name=key, metric_configuration=MetricConfiguration(
                metric_name=metric, metric_domain_kwargs=domain, metric_value_kwargs=kwargs))

        if _computes_plans(execution_engine):
            need(COUNT_TABLES, COUNT_TABLES, plan_for(self.count_plan()).kwargs())
            return deps
        need(name, name, value_kwargs)
        for column in self._private():
            need(NAMES + column, *value_counts_of([column]))
        return deps

    def _validate(self, metrics: dict, runtime_configuration: dict | None = None, execution_engine=None):
        name, kwargs = self._counted()
        if COUNT_TABLES in metrics:
            tables = metrics[COUNT_TABLES]
            table = (tables["value_counts"][tuple(kwargs["group_columns"])] if name == VALUE_COUNTS
                     else tables["missing_counts"][(tuple(kwargs["by"]), tuple(kwargs["missing_tokens"]))])
            private = {c: tables["value_counts"][(c,)] for c in self._private()}
        else:
            table, private = metrics[name], {c: metrics[NAMES + c] for c in self._private()}
        if self.split is not None:
            table = only_split(table, self.split)
        if self.recode:  # the one place every check, on every engine, sees recoded groups
            table = recode_table(table, self.recode)
            private = {c: recode_table(t, self.recode) for c, t in private.items()}
        names = {c: column_names(counts, self._tokens()) for c, counts in private.items()}
        outcome = self._outcome(table, names)
        return {"success": outcome.success, "result": outcome.as_result()}


def _computes_plans(execution_engine: Any) -> bool:
    """Whether ``execution_engine`` has a provider of ``datavet.count_tables`` (pandas, SQLAlchemy, Spark)."""
    if execution_engine is None:
        return False
    try:
        get_metric_provider(COUNT_TABLES, execution_engine)
    except Exception:  # GX's MetricProviderError: no provider for this engine
        return False
    return True


def only_split(table: dict[str, Any], split: str) -> dict[str, Any]:
    """A count table keyed by the split column last, cut to ``split``'s rows and without that column."""
    if "groups" in table:
        return {**table, "by": list(table["by"])[:-1],
                "groups": [[list(k)[:-1], rows, cols] for k, rows, cols in table["groups"] if list(k)[-1] == split]}
    return {**table, "columns": list(table["columns"])[:-1],
            "rows": [[list(k)[:-1], n] for k, n in table["rows"] if list(k)[-1] == split]}


def value_counts_of(columns: list[str]) -> tuple[str, dict[str, Any]]:
    return VALUE_COUNTS, {"group_columns": list(columns)}


def missing_counts_by(by: list[str], tokens: list[str]) -> tuple[str, dict[str, Any]]:
    return MISSING_COUNTS, {"by": list(by), "missing_tokens": list(tokens)}
