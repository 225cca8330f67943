"""ExpectColumnToHaveNoProxies: the ``proxy`` check."""

from __future__ import annotations

from typing import Any, ClassVar

from great_expectations.compatibility import pydantic
from great_expectations.expectations.registry import get_metric_kwargs
from great_expectations.validator.metric_configuration import MetricConfiguration

from datavet.checks.proxy import NAME as PROXY
from datavet.checks.proxy import proxy
from datavet.figures.outcome import Outcome
from datavet.gx.expectations.base import DatavetExpectation, value_counts_of
from datavet.recode import recode_table

PAIR = "datavet.proxy:"  # + column: the dependency holding the value counts of (protected, column)


class ExpectColumnToHaveNoProxies(DatavetExpectation):
    """Expect no column to stand in for a protected attribute.

    Args:
        protected: the protected attribute.
        columns: the columns compared with it (the spec's default: every other non-private column).
        max_cramers_v: largest allowed bias-corrected Cramér's V (Bergsma 2013).

    Returns:
        ``observed_value``: cramers_v (strongest first), rows (per column: rows with both values),
        binned_columns (numeric columns cut into deciles), above_limit. The spec's ``values`` and
        ``bins`` recode both sides first, as for every other check.

    Example: Adult's ``relationship`` has V = 0.65 with ``sex`` (Husband/Wife): fails with
    ``max_cramers_v=0.5``.
    """

    protected: str
    columns: list[str]
    max_cramers_v: float | None = pydantic.Field(default=None, ge=0, le=1)

    check: ClassVar[str] = PROXY
    success_keys: ClassVar[tuple] = ("protected", "columns", "max_cramers_v", "missing_tokens")
    args_keys: ClassVar[tuple] = ("protected", "columns")

    def _table(self) -> tuple[str, dict[str, Any]]:
        return value_counts_of([self.protected])

    def get_validation_dependencies(self, execution_engine=None, runtime_configuration: dict | None = None):
        """One shared value-counts metric per (protected, column) pair, besides the base class's."""
        deps = super().get_validation_dependencies(execution_engine=execution_engine,
                                                   runtime_configuration=runtime_configuration)
        name, _ = self._table()
        domain = get_metric_kwargs(name, self.configuration, runtime_configuration)["metric_domain_kwargs"]
        for column in self.columns:
            metric, kwargs = value_counts_of([self.protected, column])
            deps.set_metric_configuration(
                metric_name=PAIR + column,
                metric_configuration=MetricConfiguration(metric_name=metric, metric_domain_kwargs=domain,
                                                         metric_value_kwargs=kwargs))
        return deps

    def _validate(self, metrics: dict, runtime_configuration: dict | None = None, execution_engine=None):
        pairs = {c: metrics[PAIR + c] for c in self.columns}
        if self.recode:  # values and bins apply here too (docs/checks.md): V of the spec's groups, not raw codes
            pairs = {c: recode_table(t, self.recode) for c, t in pairs.items()}
        outcome = self._outcome(pairs, {})
        return {"success": outcome.success, "result": outcome.as_result()}

    def _outcome(self, table: dict[str, Any], names: dict[str, dict[str, str]]) -> Outcome:
        return proxy(table, self._tokens(), max_cramers_v=self.max_cramers_v)
