"""What every datavet expectation shares: the shared metric it asks for, and turning an Outcome
(datavet.figures) into a GX result.

A datavet expectation declares no per-check metric: it asks for one of the two shared count tables
with kwargs that depend only on the columns involved, so GX computes each table once per batch and
hands it to every expectation that needs it. Figures never contain raw values of columns the spec
marks identifying or sensitive (the ``private`` kwargs): datavet.figures gives their groups opaque
names before anything reaches the result. The numbering is one per private column per validation:
every expectation involving a private column also asks for that column's own value counts (the
same metric a representation check of the column computes, so GX computes it once) and numbers the
groups from them (datavet.figures.privacy.column_names).
"""

from __future__ import annotations

from typing import Any, ClassVar

from great_expectations.expectations.expectation import BatchExpectation
from great_expectations.expectations.registry import get_metric_kwargs
from great_expectations.validator.metric_configuration import MetricConfiguration

from datavet.figures import Outcome
from datavet.figures.privacy import column_names
from datavet.figures.values import unique_tokens

VALUE_COUNTS = "datavet.value_counts"
MISSING_COUNTS = "datavet.missing_counts"
NAMES = "datavet.names:"  # + column: the dependency that numbers a private column's groups


class DatavetExpectation(BatchExpectation):
    """Base class: subclasses name their table (``_table``) and derive an Outcome (``_outcome``)."""

    missing_tokens: list[str] = []

    check: ClassVar[str] = ""
    metric_dependencies: ClassVar[tuple] = ()
    library_metadata: ClassVar[dict[str, Any]] = {
        "maturity": "production", "tags": ["datavet", "bias", "representation"],
        "contributors": ["datavet"], "requirements": ["country_converter", "scipy"],
    }

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

    def get_validation_dependencies(self, execution_engine=None, runtime_configuration: dict | None = None):
        deps = super().get_validation_dependencies(execution_engine=execution_engine,
                                                   runtime_configuration=runtime_configuration)
        name, value_kwargs = self._table()
        domain = get_metric_kwargs(name, self.configuration, runtime_configuration)["metric_domain_kwargs"]
        deps.set_metric_configuration(
            metric_name=name,
            metric_configuration=MetricConfiguration(metric_name=name, metric_domain_kwargs=domain,
                                                     metric_value_kwargs=value_kwargs))
        for column in self._private():
            vc_name, vc_kwargs = value_counts_of([column])
            deps.set_metric_configuration(
                metric_name=NAMES + column,
                metric_configuration=MetricConfiguration(metric_name=vc_name, metric_domain_kwargs=domain,
                                                         metric_value_kwargs=vc_kwargs))
        return deps

    def _validate(self, metrics: dict, runtime_configuration: dict | None = None, execution_engine=None):
        name, _ = self._table()
        names = {c: column_names(metrics[NAMES + c], self._tokens()) for c in self._private()}
        outcome = self._outcome(metrics[name], names)
        return {"success": outcome.success, "result": outcome.as_result()}


def value_counts_of(columns: list[str]) -> tuple[str, dict[str, Any]]:
    return VALUE_COUNTS, {"group_columns": list(columns)}


def missing_counts_by(by: list[str], tokens: list[str]) -> tuple[str, dict[str, Any]]:
    return MISSING_COUNTS, {"by": list(by), "missing_tokens": list(tokens)}
