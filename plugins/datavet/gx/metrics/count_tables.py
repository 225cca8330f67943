"""``datavet.count_tables``: every count table of a validation's plan (datavet.gx.plan), together.

The result maps each table of the plan to the same shape the per-table metrics return
(datavet.figures.tables)::

    {"value_counts": {("sex", "race"): {...}}, "missing_counts": {(("sex",), ("?",)): {...}}}

* SQL (DuckDB, PostgreSQL): one ``GROUPING SETS`` query for the value counts and one for the missing
  counts (their dozens of aggregates would otherwise be computed for every value grouping set too);
  column sets differing only in order share a grouping set, and a set both kinds need is grouped in
  the missing query only. A plan with no missing counts, or no value counts, is a single query.
* pandas: one group-by per distinct column set; the missing-count group-by also gives the rows.
* Spark: the same two aggregations as SQL, each one Spark job (``DataFrame.groupingSets``), of which
  only the grouped rows reach the driver.

The per-table metrics (``datavet.value_counts``, ``datavet.missing_counts``) are this metric for a plan
of one table.
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

from datavet.figures.values import missing_masks, plain
from datavet.gx.metrics.sql import column_kinds, count_if, fetch, is_nan, token_condition
from datavet.gx.plan import CountPlan, grouping_sets, token_union

Tables = dict[str, dict[Any, dict[str, Any]]]


class CountTables(TableMetricProvider):
    """Every value and missing count table of the plan given as ``value_sets`` and ``missing``."""

    metric_name = "datavet.count_tables"
    value_keys = ("value_sets", "missing")

    @metric_value(engine=PandasExecutionEngine)
    def _pandas(cls, execution_engine: PandasExecutionEngine, metric_domain_kwargs: dict,
                metric_value_kwargs: dict, metrics: dict[str, Any], runtime_configuration: dict):
        return tables_on(execution_engine, metric_domain_kwargs, CountPlan.from_kwargs(metric_value_kwargs))

    @metric_value(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(cls, execution_engine: SqlAlchemyExecutionEngine, metric_domain_kwargs: dict,
                    metric_value_kwargs: dict, metrics: dict[str, Any], runtime_configuration: dict):
        return tables_on(execution_engine, metric_domain_kwargs, CountPlan.from_kwargs(metric_value_kwargs))

    @metric_value(engine=SparkDFExecutionEngine)
    def _spark(cls, execution_engine: SparkDFExecutionEngine, metric_domain_kwargs: dict,
               metric_value_kwargs: dict, metrics: dict[str, Any], runtime_configuration: dict):
        return tables_on(execution_engine, metric_domain_kwargs, CountPlan.from_kwargs(metric_value_kwargs))


def tables_on(execution_engine: Any, metric_domain_kwargs: dict, plan: CountPlan) -> Tables:
    """The plan's count tables on whichever GX engine computes the metric (the per-table metrics ask
    for a plan of one table)."""
    domain, _, _ = execution_engine.get_compute_domain(metric_domain_kwargs, domain_type=MetricDomainTypes.TABLE)
    if isinstance(execution_engine, SqlAlchemyExecutionEngine):
        return sql_tables(execution_engine, domain, plan)
    if isinstance(execution_engine, SparkDFExecutionEngine):
        return spark_tables(domain, plan)
    return pandas_tables(domain, plan)


def _tables(groups: dict[frozenset[str], tuple[list[str], list[tuple], list[int], list[list[int]] | None]],
            plan: CountPlan, columns: list[str], tokens: list[str]) -> Tables:
    """Cut the plan's tables out of grouped counts.

    ``groups``: per column set, (its key columns in the order of ``keys``, keys, rows per key, and, when
    missing counts were computed, per key the flat [null, token...] counts of every column)."""
    width = 1 + len(tokens)
    out: Tables = {"value_counts": {}, "missing_counts": {}}
    for cols, (values, missing) in grouping_sets(plan).items():
        order, keys, rows, matrix = groups[cols]
        for wanted in values:
            pick = [order.index(c) for c in wanted]
            out["value_counts"][wanted] = {"columns": list(wanted), "rows": [
                [[plain(key[i]) for i in pick], int(n)] for key, n in zip(keys, rows, strict=True)]}
        for by, wanted_tokens in missing:
            pick = [order.index(c) for c in by]
            slots = [0, *(1 + tokens.index(t) for t in wanted_tokens)]
            out["missing_counts"][(by, wanted_tokens)] = {
                "by": list(by), "tokens": list(wanted_tokens), "columns": list(columns), "groups": [
                    [[plain(key[i]) for i in pick], int(n),
                     {c: [int(line[j * width + s]) for s in slots] for j, c in enumerate(columns)}]
                    for key, n, line in zip(keys, rows, matrix or [], strict=True)]}
    return out


def pandas_tables(df: pd.DataFrame, plan: CountPlan) -> Tables:
    """At most one group-by per distinct column set of the plan."""
    tokens = token_union(plan)
    columns = [str(c) for c in df.columns]
    flags = None
    if plan.missing:
        flags = pd.DataFrame({f"{i}:{j}": mask for i, c in enumerate(df.columns)
                              for j, mask in enumerate(missing_masks(df[c], tokens))}, index=df.index)
    groups = {}
    for cols, (values, missing) in grouping_sets(plan).items():
        order = list(values[0] if values else missing[0][0])
        if missing and flags is not None:
            if order:
                sums = flags.assign(__rows=np.ones(len(df), dtype=np.int64)).groupby(
                    [df[b] for b in order], dropna=False, sort=False, observed=True).sum()
                keys = _keys(sums.index.tolist(), len(order))
                rows = sums.pop("__rows").tolist()
                matrix = sums.to_numpy(dtype=np.int64).tolist()
            else:
                keys, rows = [()], [len(df)]
                matrix = flags.sum().to_numpy(dtype=np.int64).reshape(1, -1).tolist()
            groups[cols] = (order, keys, rows, matrix)
        elif df.empty:
            groups[cols] = (order, [], [], None)
        else:
            sizes = df.groupby(order, dropna=False, sort=False, observed=True).size()
            groups[cols] = (order, _keys(sizes.index.tolist(), len(order)), sizes.tolist(), None)
    return _tables(groups, plan, columns, tokens)


def _keys(index: list, width: int) -> list[tuple]:
    return [(k,) for k in index] if width == 1 else [tuple(k) for k in index]


def sql_tables(execution_engine: Any, selectable: Any, plan: CountPlan) -> Tables:
    """Two ``GROUPING SETS`` queries at most (value counts; missing counts), whatever the plan's size."""
    tokens = token_union(plan)
    dialect = execution_engine.engine.dialect.name
    kinds = column_kinds(execution_engine, selectable)
    columns = list(kinds)
    value_sets, missing_sets = _query_sets(plan)
    groups = {}
    if value_sets:
        groups.update(_grouped(execution_engine, selectable, value_sets, [], None))
    if missing_sets:
        aggregates: list[sa.ColumnElement] = []
        for name, kind in kinds.items():
            col = sa.column(name)
            null = col.is_(None)
            nan = is_nan(col, dialect) if kind == "float" else None
            aggregates.append(count_if(null if nan is None else sa.or_(null, nan)))
            aggregates.extend(count_if(token_condition(col, kind, t, dialect)) for t in tokens)
        groups.update(_grouped(execution_engine, selectable, missing_sets, aggregates, 1 + len(tokens)))
    return _tables(groups, plan, columns, tokens)


def _grouped(execution_engine: Any, selectable: Any, sets: dict[frozenset[str], tuple[str, ...]],
             aggregates: list[sa.ColumnElement], width: int | None) -> dict:
    """One query grouping by every set of ``sets`` (``GROUPING(...)`` tells the rows' set apart)."""
    union = list(dict.fromkeys(c for order in sets.values() for c in order))
    keys = [sa.column(c) for c in union]
    if len(sets) == 1:  # a plain GROUP BY (or none): the same counts, no grouping-set machinery
        query = sa.select(*keys, sa.literal(0), sa.func.count(), *aggregates).select_from(selectable)
        if keys:
            query = query.group_by(*keys)
    else:
        query = sa.select(*keys, sa.func.grouping(*keys), sa.func.count(), *aggregates).select_from(
            selectable).group_by(sa.func.grouping_sets(*[sa.tuple_(*[sa.column(c) for c in order])
                                                           for order in sets.values()]))
    _, result, _ = fetch(execution_engine, query)
    return grouped_rows(sets, union, result, width)


def _query_sets(plan: CountPlan) -> tuple[dict[frozenset[str], tuple[str, ...]], dict[frozenset[str], tuple[str, ...]]]:
    """(column sets only value counts need, column sets the missing counts need): two aggregations,
    since a set in the second needs no grouping of its own in the first."""
    sets = grouping_sets(plan)
    missing_sets = {cols: missing[0][0] for cols, (_, missing) in sets.items() if missing}
    value_sets = {cols: values[0] for cols, (values, _) in sets.items() if cols not in missing_sets}
    return value_sets, missing_sets


def grouped_rows(sets: dict[frozenset[str], tuple[str, ...]], union: list[str], result: Any,
                 width: int | None) -> dict:
    """Rows of a grouping-sets aggregation (``union``'s keys, the grouping id, the row count, then the
    flat missing counts when ``width``) sorted into ``_tables``' groups by their grouping id."""
    by_mask = {sum(1 << (len(union) - 1 - i) for i, c in enumerate(union) if c not in cols): cols for cols in sets}
    out = {cols: (list(order), [], [], [] if width else None) for cols, order in sets.items()}
    positions = {cols: [union.index(c) for c in order] for cols, order in sets.items()}
    n = len(union)
    for row in result:
        cols = by_mask[int(row[n])]
        order, keys_, rows, matrix = out[cols]
        keys_.append(tuple(row[i] for i in positions[cols]))
        rows.append(int(row[n + 1] or 0))
        if matrix is not None:
            matrix.append([int(v or 0) for v in row[n + 2:]])
    return out


def spark_tables(df: Any, plan: CountPlan) -> Tables:
    """The SQL engines' two aggregations on a Spark DataFrame: one job each."""
    from datavet.gx.metrics.spark import missing_aggregates, spark_grouped, spark_kinds

    tokens = token_union(plan)
    columns = list(spark_kinds(df))
    value_sets, missing_sets = _query_sets(plan)
    groups = {}
    for sets, aggregates, width in ((value_sets, [], None),
                                    (missing_sets, missing_aggregates(df, tokens), 1 + len(tokens))):
        if sets:
            union = list(dict.fromkeys(c for order in sets.values() for c in order))
            groups.update(grouped_rows(sets, union, spark_grouped(df, sets, union, aggregates), width))
    return _tables(groups, plan, columns, tokens)
