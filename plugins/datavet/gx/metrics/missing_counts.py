"""``datavet.missing_counts``: for every column, its null/NaN count and the count of each missing
token, grouped by the raw values of ``by`` (possibly no column: one group, the whole batch).

The one-table form of ``datavet.count_tables`` (the same queries, for a plan of this table alone).
Token comparison follows datavet.figures.values: strings are compared after stripping whitespace,
numbers and booleans by the literal whose text is the token.
"""

from __future__ import annotations

from typing import Any

from great_expectations.execution_engine import (
    PandasExecutionEngine,
    SparkDFExecutionEngine,
    SqlAlchemyExecutionEngine,
)
from great_expectations.expectations.metrics.metric_provider import metric_value
from great_expectations.expectations.metrics.table_metric_provider import TableMetricProvider

from datavet.gx.metrics.count_tables import tables_on
from datavet.gx.plan import missing_plan


class MissingCounts(TableMetricProvider):
    """``{"by", "tokens", "columns", "groups": [[key, rows, {column: [null, token...]}], ...]}``."""

    metric_name = "datavet.missing_counts"
    value_keys = ("by", "missing_tokens")

    @metric_value(engine=PandasExecutionEngine)
    def _pandas(cls, execution_engine: PandasExecutionEngine, metric_domain_kwargs: dict,
                metric_value_kwargs: dict, metrics: dict[str, Any], runtime_configuration: dict):
        return _missing_table(execution_engine, metric_domain_kwargs, metric_value_kwargs)

    @metric_value(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(cls, execution_engine: SqlAlchemyExecutionEngine, metric_domain_kwargs: dict,
                    metric_value_kwargs: dict, metrics: dict[str, Any], runtime_configuration: dict):
        return _missing_table(execution_engine, metric_domain_kwargs, metric_value_kwargs)

    @metric_value(engine=SparkDFExecutionEngine)
    def _spark(cls, execution_engine: SparkDFExecutionEngine, metric_domain_kwargs: dict,
               metric_value_kwargs: dict, metrics: dict[str, Any], runtime_configuration: dict):
        return _missing_table(execution_engine, metric_domain_kwargs, metric_value_kwargs)


def _missing_table(execution_engine: Any, metric_domain_kwargs: dict, metric_value_kwargs: dict) -> dict[str, Any]:
    by, tokens = tuple(metric_value_kwargs["by"]), tuple(metric_value_kwargs["missing_tokens"])
    return tables_on(execution_engine, metric_domain_kwargs, missing_plan(by, tokens))["missing_counts"][(by, tokens)]
