"""The two shared metrics on Spark DataFrames (GX's ``SparkDFExecutionEngine``).

Each metric is one aggregation job: a ``groupBy`` whose result (one row per group) is the only
thing collected to the driver. Column kinds come from the Spark schema and decide, as in
``datavet.gx.metrics.sql``, how NaN and the missing tokens are recognised; strings are compared
after ``btrim`` of the same whitespace as Python's ``str.strip`` (datavet.figures.values).
"""

from __future__ import annotations

from typing import Any

from datavet.figures.values import WHITESPACE, literal_tokens, plain

_KINDS = {"string": "str", "varchar": "str", "char": "str", "boolean": "bool", "double": "float", "float": "float",
          "bigint": "int", "int": "int", "smallint": "int", "tinyint": "int"}


def spark_kinds(df: Any) -> dict[str, str]:
    """{column: 'str' | 'int' | 'float' | 'bool' | 'other'} from the DataFrame's schema (no job runs)."""
    return {f.name: _KINDS.get(f.dataType.simpleString().split("(")[0], "other") for f in df.schema.fields}


def _count_if(condition: Any) -> Any:
    from pyspark.sql import functions as F

    return F.sum(F.when(condition, 1).otherwise(0)) if condition is not None else F.lit(0)


def _token_condition(col: Any, kind: str, token: str) -> Any:
    from pyspark.sql import functions as F

    if kind == "str":
        return F.btrim(col, F.lit(WHITESPACE)) == F.lit(token)
    literals = literal_tokens([token], kind)
    return (col == F.lit(literals[0])) if literals else None


def value_counts(df: Any, columns: list[str]) -> dict[str, Any]:
    """Rows per distinct combination of ``columns`` (nulls and NaN kept as groups)."""
    from pyspark.sql import functions as F

    rows = df.groupBy(*[F.col(f"`{c}`") for c in columns]).agg(F.count(F.lit(1)).alias("__datavet_rows")).collect()
    return {"columns": columns, "rows": [[[plain(v) for v in r[:-1]], int(r[-1])] for r in rows]}


def missing_aggregates(df: Any, tokens: list[str]) -> list[Any]:
    """Per column, in the schema's order: its null/NaN count, then the count of each token."""
    from pyspark.sql import functions as F

    aggregates = []
    for name, kind in spark_kinds(df).items():
        col = F.col(f"`{name}`")
        missing = col.isNull() | F.isnan(col) if kind == "float" else col.isNull()
        aggregates.append(_count_if(missing))
        aggregates.extend(_count_if(_token_condition(col, kind, t)) for t in tokens)
    return aggregates


def spark_grouped(df: Any, sets: dict[Any, tuple[str, ...]], union: list[str], aggregates: list[Any]) -> list:
    """One job grouping by every column set of ``sets`` at once: rows of ``union``'s keys, the grouping
    id (0 for a single set), the row count and ``aggregates`` (datavet.gx.metrics.count_tables)."""
    from pyspark.sql import functions as F

    keys = [F.col(f"`{c}`") for c in union]
    rows = F.count(F.lit(1))
    if len(sets) == 1:  # a plain groupBy (or none): the same counts without grouping-set machinery
        result = (df.groupBy(*keys) if keys else df).agg(rows, *aggregates).collect()
        return [(*r[:len(keys)], 0, *r[len(keys):]) for r in result]
    grouping = [[F.col(f"`{c}`") for c in order] for order in sets.values()]
    return df.groupingSets(grouping, *keys).agg(F.grouping_id(), rows, *aggregates).collect()
