"""``datavet.value_counts``: rows per distinct combination of raw values of some columns.

One GROUP BY per distinct set of columns and per batch: GX identifies metrics by their kwargs, so
every check asking for the counts of the same columns shares one computation. Nulls (and NaN) are
kept as a group; what counts as missing is decided later, per distinct key, in datavet.figures.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from great_expectations.core.metric_domain_types import MetricDomainTypes
from great_expectations.execution_engine import (
    PandasExecutionEngine,
    SparkDFExecutionEngine,
    SqlAlchemyExecutionEngine,
)
from great_expectations.expectations.metrics.metric_provider import metric_value
from great_expectations.expectations.metrics.table_metric_provider import TableMetricProvider

from datavet.figures.values import plain
from datavet.gx.metrics.spark import value_counts as spark_value_counts
from datavet.gx.metrics.sql import fetch


class ValueCounts(TableMetricProvider):
    """Value counts by ``group_columns``: ``{"columns": [...], "rows": [[[v1, ...], count], ...]}``."""

    metric_name = "datavet.value_counts"
    value_keys = ("group_columns",)

    @metric_value(engine=PandasExecutionEngine)
    def _pandas(cls, execution_engine: PandasExecutionEngine, metric_domain_kwargs: dict,
                metric_value_kwargs: dict, metrics: dict[str, Any], runtime_configuration: dict):
        df, _, _ = execution_engine.get_compute_domain(metric_domain_kwargs, domain_type=MetricDomainTypes.TABLE)
        columns = list(metric_value_kwargs["group_columns"])
        if df.empty:
            return {"columns": columns, "rows": []}
        sizes = df.groupby(columns, dropna=False, sort=False, observed=True).size()
        keys = sizes.index.tolist()
        if len(columns) == 1:
            keys = [(k,) for k in keys]
        return {"columns": columns,
                "rows": [[[plain(v) for v in key], int(n)] for key, n in zip(keys, sizes.tolist(), strict=True)]}

    @metric_value(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(cls, execution_engine: SqlAlchemyExecutionEngine, metric_domain_kwargs: dict,
                    metric_value_kwargs: dict, metrics: dict[str, Any], runtime_configuration: dict):
        selectable, _, _ = execution_engine.get_compute_domain(
            metric_domain_kwargs, domain_type=MetricDomainTypes.TABLE)
        columns = list(metric_value_kwargs["group_columns"])
        cols = [sa.column(c) for c in columns]
        query = sa.select(*cols, sa.func.count().label("__datavet_rows")).select_from(selectable).group_by(*cols)
        _, rows, _ = fetch(execution_engine, query)
        return {"columns": columns, "rows": [[[plain(v) for v in row[:-1]], int(row[-1])] for row in rows]}

    @metric_value(engine=SparkDFExecutionEngine)
    def _spark(cls, execution_engine: SparkDFExecutionEngine, metric_domain_kwargs: dict,
               metric_value_kwargs: dict, metrics: dict[str, Any], runtime_configuration: dict):
        df, _, _ = execution_engine.get_compute_domain(metric_domain_kwargs, domain_type=MetricDomainTypes.TABLE)
        return spark_value_counts(df, list(metric_value_kwargs["group_columns"]))
