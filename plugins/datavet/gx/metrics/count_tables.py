"""``datavet.count_tables``: every count table of a validation's plan (datavet.gx.plan), together.

The result maps each table of the plan to the same shape the per-table metrics return
(datavet.figures.tables)::

    {"value_counts": {("sex", "race"): {...}}, "missing_counts": {(("sex",), ("?",)): {...}}}

* SQL (DuckDB, PostgreSQL): one ``GROUPING SETS`` query, so the data is read once: value sets are
  grouped by their columns, missing sets by their columns and the rows' packed missing codes, and
  an outer aggregation over the grouped rows sums them per code (datavet.gx.metrics.codes); column
  sets differing only in order share a grouping set, and a set both kinds need is grouped once.
* pandas: one group-by per distinct column set; the missing-count group-by also gives the rows.
* Spark: the same query as one action (``DataFrame.groupingSets`` then a ``groupBy``), of which
  only the count tables reach the driver.

The per-table metrics (``datavet.value_counts``, ``datavet.missing_counts``) are this metric for a plan
of one table.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from great_expectations.core.metric_domain_types import MetricDomainTypes
from great_expectations.execution_engine import (
    PandasExecutionEngine,
    SparkDFExecutionEngine,
    SqlAlchemyExecutionEngine,
)
from great_expectations.expectations.metrics.metric_provider import metric_value
from great_expectations.expectations.metrics.table_metric_provider import TableMetricProvider

from datavet.figures.values import missing_masks, plain
from datavet.gx.metrics.sql import column_kinds, fetch, one_scan
from datavet.gx.plan import CountPlan, grouping_sets, token_union

Tables = dict[str, dict[Any, dict[str, Any]]]


class CountTables(TableMetricProvider):
    """Every value and missing count table of the plan given as ``value_sets`` and ``missing``."""

    metric_name = "datavet.count_tables"
    value_keys = ("value_sets", "missing")

    @metric_value(engine=PandasExecutionEngine)
    def _pandas(cls, execution_engine: PandasExecutionEngine, metric_domain_kwargs: dict,
                metric_value_kwargs: dict, metrics: dict[str, Any], runtime_configuration: dict):
        return per_part(execution_engine, metric_domain_kwargs, metric_value_kwargs) or \
            tables_on(execution_engine, metric_domain_kwargs, CountPlan.from_kwargs(metric_value_kwargs))

    @metric_value(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(cls, execution_engine: SqlAlchemyExecutionEngine, metric_domain_kwargs: dict,
                    metric_value_kwargs: dict, metrics: dict[str, Any], runtime_configuration: dict):
        return per_part(execution_engine, metric_domain_kwargs, metric_value_kwargs) or \
            tables_on(execution_engine, metric_domain_kwargs, CountPlan.from_kwargs(metric_value_kwargs))

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


def per_part(execution_engine: Any, metric_domain_kwargs: dict, metric_value_kwargs: dict) -> Tables | None:
    """The plan's tables of a partitioned version, part by part, each part's read from the cache when
    counted before (datavet.engines.parts); None when the batch is not a partitioned version's whole
    table (a row condition or filter would not apply to the parts)."""
    from datavet.engines.parts import active_parts, merge_tables, merged

    parts = active_parts()
    if parts is None or any(v is not None for k, v in metric_domain_kwargs.items() if k != "batch_id"):
        return None
    plan = CountPlan.from_kwargs(metric_value_kwargs)
    if isinstance(execution_engine, SqlAlchemyExecutionEngine):
        if execution_engine.engine.dialect.name != "duckdb":
            return None
        import sqlalchemy as sa

        from datavet.sources.table import literal

        def count(path):
            scan = sa.text(f"SELECT * FROM read_parquet({literal(str(path))})").columns().subquery("datavet_part")
            return sql_tables(execution_engine, scan, plan)
    else:
        from datavet.ingest import read_parquet

        def count(path):
            return pandas_tables(read_parquet(path), plan)

    return merged(parts, f"count_tables:{type(execution_engine).__name__}", metric_value_kwargs, count, merge_tables)


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
    """One ``GROUPING SETS`` query, whatever the plan's size (datavet.gx.metrics.sql.one_scan)."""
    tokens = token_union(plan)
    kinds = column_kinds(execution_engine, selectable)
    sets, missing = query_sets(plan)
    if not sets:
        return _tables({}, plan, list(kinds), tokens)
    query = one_scan(selectable, sets, missing, kinds, tokens, execution_engine.engine.dialect.name)
    _, result, _ = fetch(execution_engine, query)
    counts = len(kinds) * (1 + len(tokens))
    return _tables(grouped_rows(sets, missing, result, counts), plan, list(kinds), tokens)


def query_sets(plan: CountPlan) -> tuple[dict[frozenset[str], tuple[str, ...]], set[frozenset[str]]]:
    """({column set: its key order}, the sets that need missing counts): a set both kinds need is
    grouped once, with the missing codes (its row counts are the value counts)."""
    sets, missing = {}, set()
    for cols, (values, missing_keys) in grouping_sets(plan).items():
        sets[cols] = missing_keys[0][0] if missing_keys else values[0]
        if missing_keys:
            missing.add(cols)
    return sets, missing


def grouped_rows(sets: dict[frozenset[str], tuple[str, ...]], missing: set[frozenset[str]], result: Any,
                 counts: int) -> dict:
    """Rows of the one-scan aggregation (the keys of the sets' union, the grouping id, the row count,
    then the ``counts`` flat missing counts) sorted into ``_tables``' groups by their grouping id."""
    union = list(dict.fromkeys(c for order in sets.values() for c in order))
    by_mask = {sum(1 << (len(union) - 1 - i) for i, c in enumerate(union) if c not in cols): cols for cols in sets}
    out = {cols: (list(order), [], [], [] if cols in missing else None) for cols, order in sets.items()}
    positions = {cols: [union.index(c) for c in order] for cols, order in sets.items()}
    n = len(union)
    for row in result:
        cols = by_mask[int(row[n])]
        order, keys_, rows, matrix = out[cols]
        keys_.append(tuple(row[i] for i in positions[cols]))
        rows.append(int(row[n + 1] or 0))
        if matrix is not None:
            matrix.append([int(v or 0) for v in row[n + 2:]])
    for cols in missing:  # the whole table is one group, even without rows
        order, keys_, rows, matrix = out[cols]
        if not order and not keys_:
            keys_.append(())
            rows.append(0)
            matrix.append([0] * counts)
    return out


def spark_tables(df: Any, plan: CountPlan) -> Tables:
    """The SQL engines' one scan on a Spark DataFrame: one action, of which only the count tables
    reach the driver."""
    from datavet.gx.metrics.spark import spark_kinds, spark_one_scan

    tokens = token_union(plan)
    kinds = spark_kinds(df)
    sets, missing = query_sets(plan)
    if not sets:
        return _tables({}, plan, list(kinds), tokens)
    result = spark_one_scan(df, sets, missing, kinds, tokens)
    return _tables(grouped_rows(sets, missing, result, len(kinds) * (1 + len(tokens))), plan, list(kinds), tokens)
