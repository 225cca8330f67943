"""``datavet.missing_counts``: for every column, its null/NaN count and the count of each missing
token, grouped by the raw values of ``by`` (possibly no column: one group, the whole batch).

One scan answers every missingness check (``by = []``) and every parity check on the same attribute
(``by = [a]``). Token comparison follows datavet.figures.values: strings are compared after
stripping whitespace, numbers and booleans by the literal whose text is the token.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from great_expectations.core.metric_domain_types import MetricDomainTypes
from great_expectations.execution_engine import (
    PandasExecutionEngine,
    SparkDFExecutionEngine,
    SqlAlchemyExecutionEngine,
)
from great_expectations.expectations.metrics.metric_provider import metric_value
from great_expectations.expectations.metrics.table_metric_provider import TableMetricProvider

from datavet.figures.tables import missing_table
from datavet.figures.values import missing_masks
from datavet.gx.metrics.spark import missing_counts as spark_missing_counts
from datavet.gx.metrics.sql import column_kinds, count_if, fetch, is_nan, token_condition


class MissingCounts(TableMetricProvider):
    """``{"by", "tokens", "columns", "groups": [[key, rows, {column: [null, token...]}], ...]}``."""

    metric_name = "datavet.missing_counts"
    value_keys = ("by", "missing_tokens")

    @metric_value(engine=PandasExecutionEngine)
    def _pandas(cls, execution_engine: PandasExecutionEngine, metric_domain_kwargs: dict,
                metric_value_kwargs: dict, metrics: dict[str, Any], runtime_configuration: dict):
        df, _, _ = execution_engine.get_compute_domain(metric_domain_kwargs, domain_type=MetricDomainTypes.TABLE)
        by = list(metric_value_kwargs["by"])
        tokens = list(metric_value_kwargs["missing_tokens"])
        columns = [str(c) for c in df.columns]
        flags = pd.DataFrame({f"{i}:{j}": mask for i, c in enumerate(df.columns)
                              for j, mask in enumerate(missing_masks(df[c], tokens))}, index=df.index)
        if by:
            flags["__rows"] = np.ones(len(df), dtype=np.int64)
            sums = flags.groupby([df[b] for b in by], dropna=False, sort=False, observed=True).sum()
            keys = sums.index.tolist()
            if len(by) == 1:
                keys = [(k,) for k in keys]
            rows = sums.pop("__rows").tolist()
            matrix = sums.to_numpy(dtype=np.int64)
        else:
            keys, rows = [()], [len(df)]
            matrix = flags.sum().to_numpy(dtype=np.int64).reshape(1, -1)
        return missing_table(by, tokens, columns, zip(keys, rows, matrix.tolist(), strict=True))

    @metric_value(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(cls, execution_engine: SqlAlchemyExecutionEngine, metric_domain_kwargs: dict,
                    metric_value_kwargs: dict, metrics: dict[str, Any], runtime_configuration: dict):
        selectable, _, _ = execution_engine.get_compute_domain(
            metric_domain_kwargs, domain_type=MetricDomainTypes.TABLE)
        by = list(metric_value_kwargs["by"])
        tokens = list(metric_value_kwargs["missing_tokens"])
        dialect = execution_engine.engine.dialect.name
        kinds = column_kinds(execution_engine, selectable)
        columns = list(kinds)
        aggregates: list[sa.ColumnElement] = [sa.func.count()]
        for name, kind in kinds.items():
            col = sa.column(name)
            null = col.is_(None)
            nan = is_nan(col, dialect) if kind == "float" else None
            aggregates.append(count_if(null if nan is None else sa.or_(null, nan)))
            aggregates.extend(count_if(token_condition(col, kind, t, dialect)) for t in tokens)
        keys = [sa.column(b) for b in by]
        query = sa.select(*keys, *aggregates).select_from(selectable)
        if keys:
            query = query.group_by(*keys)
        _, result, _ = fetch(execution_engine, query)
        return missing_table(by, tokens, columns, ((r[:len(by)], r[len(by)], r[len(by) + 1:]) for r in result))

    @metric_value(engine=SparkDFExecutionEngine)
    def _spark(cls, execution_engine: SparkDFExecutionEngine, metric_domain_kwargs: dict,
               metric_value_kwargs: dict, metrics: dict[str, Any], runtime_configuration: dict):
        df, _, _ = execution_engine.get_compute_domain(metric_domain_kwargs, domain_type=MetricDomainTypes.TABLE)
        return spark_missing_counts(df, list(metric_value_kwargs["by"]), list(metric_value_kwargs["missing_tokens"]))
