"""The count tables on Spark DataFrames (GX's ``SparkDFExecutionEngine``).

The whole plan is one action (datavet.gx.metrics.count_tables): grouping sets, then a ``groupBy``
over the grouped rows, whose result (one row per group) is the only thing collected to the driver.
Column kinds come from the Spark schema and decide, as in
``datavet.gx.metrics.sql``, how NaN and the missing tokens are recognised; strings are compared
after ``btrim`` of the same whitespace as Python's ``str.strip`` (datavet.figures.values).
"""

from __future__ import annotations

import functools
import operator
from typing import Any

from datavet.figures.values import WHITESPACE, literal_tokens, plain
from datavet.gx.metrics.codes import CodeLayout, internal_prefix

_KINDS = {"string": "str", "varchar": "str", "char": "str", "boolean": "bool", "double": "float", "float": "float",
          "bigint": "int", "int": "int", "smallint": "int", "tinyint": "int"}


def spark_kinds(df: Any) -> dict[str, str]:
    """{column: 'str' | 'int' | 'float' | 'bool' | 'other'} from the DataFrame's schema (no job runs)."""
    return {f.name: _KINDS.get(f.dataType.simpleString().split("(")[0], "other") for f in df.schema.fields}


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


def _patterns(layout: CodeLayout, kinds: dict[str, str], tokens: list[str]) -> list[Any]:
    """The packed missing codes of a row (datavet.gx.metrics.codes): one long per pattern."""
    from pyspark.sql import functions as F

    parts: list[list[Any]] = [[] for _ in range(layout.patterns)]
    for index, (name, kind) in enumerate(kinds.items()):
        col = F.col(f"`{name}`")
        whens = [(col.isNull() | F.isnan(col) if kind == "float" else col.isNull(), 0)]
        if kind == "str" and tokens and "" not in tokens:  # no token inside: a value, stripped never
            whens.append((~functools.reduce(operator.or_, [col.contains(t) for t in tokens]), None))
        whens += [(cond, 1 + i) for i, t in enumerate(tokens) if (cond := _token_condition(col, kind, t)) is not None]
        code = F.when(whens[0][0], F.lit(layout.code_value(index, 0)[1]))
        for cond, slot in whens[1:]:  # slot None: a cell that cannot be a token, answered before any strip
            code = code.when(cond, F.lit(0 if slot is None else layout.code_value(index, slot)[1]))
        parts[layout.place(index)[0]].append(code.otherwise(F.lit(0)).cast("long"))
    return [functools.reduce(operator.add, terms) for terms in parts]


def spark_one_scan(df: Any, sets: dict[Any, tuple[str, ...]], missing: set, kinds: dict[str, str],
                   tokens: list[str]) -> list:
    """``datavet.gx.metrics.sql.one_scan`` on a DataFrame: rows of the sets' union of keys, the
    grouping id (0 for a single set), the row count and, with ``missing``, the flat missing counts.
    One action: the grouping sets, then the sum per code over the grouped rows."""
    from pyspark.sql import functions as F

    union = list(dict.fromkeys(c for order in sets.values() for c in order))
    layout = CodeLayout.of(list(kinds), tokens)
    prefix = internal_prefix(list(kinds))
    gid_name, rows_name = f"{prefix}gid", f"{prefix}rows"
    names = [f"{prefix}p{k}" for k in range(layout.patterns)] if missing else []
    data = df.select(*[F.col(f"`{c}`") for c in union],
                     *[p.alias(n) for p, n in zip(_patterns(layout, kinds, tokens) if missing else [], names,
                                                  strict=True)])
    keys, packed = [F.col(f"`{c}`") for c in union], [F.col(n) for n in names]
    grouped = [[F.col(f"`{c}`") for c in order] + (packed if cols in missing else []) for cols, order in sets.items()]
    rows = F.count(F.lit(1)).alias(rows_name)
    if len(sets) == 1:  # a plain groupBy (or none): the same counts without grouping-set machinery
        inner = (data.groupBy(*grouped[0]) if grouped[0] else data).agg(rows).withColumn(gid_name, F.lit(0))
    else:
        gid = sum((F.grouping(k) * (1 << (len(keys) - 1 - i)) for i, k in enumerate(keys)), F.lit(0))
        inner = data.groupingSets(grouped, *keys, *packed).agg(gid.alias(gid_name), rows)
    if not missing:
        return [tuple(r) for r in inner.select(*keys, gid_name, rows_name).collect()]
    counts = []
    for index in range(len(layout.columns)):
        for slot in range(layout.slots):
            k, mask, value = layout.test(index, slot)
            hit = F.col(names[k]).bitwiseAND(F.lit(mask)) == F.lit(value)
            counts.append(F.sum(F.when(hit, F.col(rows_name)).otherwise(0)))
    outer = inner.groupBy(*keys, gid_name) if keys else inner.groupBy(gid_name)
    result = outer.agg(F.sum(rows_name), *counts).collect()
    return [tuple(r) for r in result]
