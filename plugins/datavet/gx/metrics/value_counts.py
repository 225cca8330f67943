"""``datavet.value_counts``: rows per distinct combination of raw values of some columns.

The one-table form of ``datavet.count_tables`` (the same queries, for a plan of this table alone),
for a caller that asks GX for these counts by themselves. Nulls (and NaN) are kept as a group; what
counts as missing is decided later, per distinct key, in datavet.figures.
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
from datavet.gx.plan import value_plan


class ValueCounts(TableMetricProvider):
    """Value counts by ``group_columns``: ``{"columns": [...], "rows": [[[v1, ...], count], ...]}``."""

    metric_name = "datavet.value_counts"
    value_keys = ("group_columns",)

    @metric_value(engine=PandasExecutionEngine)
    def _pandas(cls, execution_engine: PandasExecutionEngine, metric_domain_kwargs: dict,
                metric_value_kwargs: dict, metrics: dict[str, Any], runtime_configuration: dict):
        return _value_table(execution_engine, metric_domain_kwargs, metric_value_kwargs)

    @metric_value(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(cls, execution_engine: SqlAlchemyExecutionEngine, metric_domain_kwargs: dict,
                    metric_value_kwargs: dict, metrics: dict[str, Any], runtime_configuration: dict):
        return _value_table(execution_engine, metric_domain_kwargs, metric_value_kwargs)

    @metric_value(engine=SparkDFExecutionEngine)
    def _spark(cls, execution_engine: SparkDFExecutionEngine, metric_domain_kwargs: dict,
               metric_value_kwargs: dict, metrics: dict[str, Any], runtime_configuration: dict):
        return _value_table(execution_engine, metric_domain_kwargs, metric_value_kwargs)


def _value_table(execution_engine: Any, metric_domain_kwargs: dict, metric_value_kwargs: dict) -> dict[str, Any]:
    columns = tuple(metric_value_kwargs["group_columns"])
    return tables_on(execution_engine, metric_domain_kwargs, value_plan(columns))["value_counts"][columns]
