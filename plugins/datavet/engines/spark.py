"""Spark: the checks run on GX's ``SparkDFExecutionEngine`` over the Parquet version where it lives.

Spark reads the file or directory itself (a local path, or any URL its Hadoop file systems know,
such as ``s3a://`` for a DVC remote on object storage), and datavet's two metrics are one
aggregation job each (``datavet.gx.metrics.spark``): only count tables reach the driver.

The session is the process's one SparkSession, started from ``Settings``: ``spark_master``
(``local[*]``, ``spark://host:7077``, ``yarn``...) or ``spark_remote`` (Spark Connect,
``sc://host:15002``), ``spark_driver_memory`` and any ``spark_conf``.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from datavet.engines.base import DataProfile, Engine, FrameTable, SqlTable, Table
from datavet.errors import DataError

if TYPE_CHECKING:  # pragma: no cover
    from datavet.settings import Settings

SOURCE = "datavet"
JAVA_FIX = "install Java 17 (Debian: apt-get install -y openjdk-17-jre-headless) or set JAVA_HOME to a JDK/JRE"
# Parquet types Spark 4 refuses to read, and what to store instead.
_UNREADABLE = (("timestamp[ns", "nanosecond timestamps", "store microsecond timestamps (datavet's ingest does)"),
               ("time64[ns]", "nanosecond times of day", "store them as microseconds or text"),
               ("duration", "durations", "store them as integers (e.g. seconds)"))


def missing_requirement() -> str | None:
    """Why Spark cannot run here, naming what to install; None when it can."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed: pip install 'datavet[spark]'"
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        if not (Path(java_home) / "bin" / "java").is_file():
            return f"JAVA_HOME={java_home} holds no bin/java: {JAVA_FIX}"
    elif shutil.which("java") is None:
        return f"Java is not installed (no java on PATH): {JAVA_FIX}"
    return None


_SESSION: Any = None


def session(settings: Settings) -> Any:
    """The process's SparkSession (started once; later settings do not restart it)."""
    global _SESSION
    if _SESSION is not None and not _is_stopped(_SESSION):
        return _SESSION
    problem = missing_requirement()
    if problem is not None and settings.spark_remote is None:
        raise DataError(f"the Spark engine cannot start: {problem}",
                        fix="install what is named above, or choose another engine (--engine duckdb)")
    from pyspark.sql import SparkSession

    logging.getLogger("py4j").setLevel(logging.WARNING)  # py4j logs every connection at INFO, even at exit
    builder = SparkSession.builder.appName("datavet")
    builder = builder.remote(settings.spark_remote) if settings.spark_remote else builder.master(settings.spark_master)
    conf = {"spark.driver.memory": settings.spark_driver_memory, "spark.ui.showConsoleProgress": "false",
            "spark.sql.session.timeZone": "UTC", **settings.spark_conf}
    for key, value in conf.items():
        builder = builder.config(key, value)
    try:
        _SESSION = builder.getOrCreate()
    except Exception as exc:  # py4j/JVM start-up failures have no common base class
        raise DataError(f"the Spark session did not start ({type(exc).__name__}: {str(exc)[:300]})",
                        fix="check DATAVET_SPARK_MASTER / DATAVET_SPARK_REMOTE and that Java 17 is installed "
                            "(apt-get install -y openjdk-17-jre-headless)") from None
    if not settings.spark_remote:
        _SESSION.sparkContext.setLogLevel("ERROR")
    return _SESSION


def _is_stopped(spark: Any) -> bool:
    try:
        return spark.sparkContext._jsc is None
    except Exception:  # Spark Connect sessions have no SparkContext
        return False


def unreadable_columns(path: Path) -> list[tuple[str, str, str]]:
    """(column, what, fix) for each Parquet column whose type Spark cannot read."""
    import pyarrow.dataset as ds

    try:
        schema = ds.dataset(str(path), format="parquet").schema
    except Exception:
        return []
    out = []
    for field in schema:
        for prefix, what, fix in _UNREADABLE:
            if str(field.type).startswith(prefix):
                out.append((field.name, what, fix))
    return out


class SparkEngine(Engine):
    name = "spark"

    def frame(self, table: Table) -> Any:
        """The Spark DataFrame of ``table`` (schema read now, rows when a job runs)."""
        spark = session(self.settings)
        if isinstance(table, FrameTable):
            return spark.createDataFrame(table.frame)
        if isinstance(table, SqlTable):
            raise DataError("the Spark engine reads Parquet versions, not a database table", dataset=table.label,
                            fix="use engine: sql to audit the table in place, or version it first (datavet certify)")
        unreadable = unreadable_columns(table.path)
        if unreadable:
            column, what, fix = unreadable[0]
            raise DataError(f"{table.path}: Spark cannot read {what}", column=column,
                            fix=f"{fix}, or use engine: duckdb")
        try:
            return spark.read.parquet(str(table.path))
        except Exception as exc:
            raise DataError(f"Spark cannot read {table.path}: {str(exc).splitlines()[0][:300]}",
                            fix="pass the Parquet version (file or directory) datavet wrote, or use engine: duckdb") \
                from None

    def columns(self, table: Table) -> list[str]:
        return list(self.frame(table).columns)

    def gx_batch(self, table: Table) -> tuple[Any, dict[str, Any]]:
        from datavet.gx.batches import ephemeral_context

        df = self.frame(table)
        source = ephemeral_context().data_sources.add_spark(SOURCE, persist=False)
        asset = source.add_dataframe_asset("data")
        return asset.add_batch_definition_whole_dataframe("all"), {"dataframe": df}

    def value_counts(self, table: Table, columns: list[str]) -> list[tuple[tuple, int]]:
        from datavet.gx.metrics.spark import value_counts

        return [(tuple(key), n) for key, n in value_counts(self.frame(table), columns)["rows"]]

    def profile(self, table: Table, *, time_columns: list[str], label_columns: list[str],
                missing_tokens: list[str], identifying_columns: Sequence[str] = ()) -> DataProfile:
        from pyspark.sql import functions as F

        from datavet.figures.values import MISSING_GROUP, WHITESPACE

        df = self.frame(table)
        types = {f.name: f.dataType.simpleString() for f in df.schema.fields}
        times = [c for c in time_columns if c in types]
        labels = [c for c in label_columns if c in types]

        def time_expr(name: str) -> Any:
            col = F.col(f"`{name}`")
            if types[name] != "string":
                return col.cast("string")
            if missing_tokens:
                col = F.when(F.btrim(col, F.lit(WHITESPACE)).isin(missing_tokens), F.lit(None)).otherwise(col)
            return F.coalesce(F.try_to_timestamp(col).cast("string"), col)

        # One job: identical rows grouped (Spark spills the groups), then counted and ranged.
        groups = df.groupBy(*[F.col(f"`{c}`") for c in types]).agg(F.count(F.lit(1)).alias("__n"))
        outer = [F.sum("__n"), F.count(F.lit(1))]
        for c in times:
            outer += [F.min(time_expr(c)), F.max(time_expr(c))]
        row = groups.agg(*outer).collect()[0]
        rows, distinct = int(row[0] or 0), int(row[1] or 0)
        ranges = {c: (row[2 + 2 * i], row[3 + 2 * i]) for i, c in enumerate(times)}
        label_counts = {}
        for c in labels:
            found = sorted(df.groupBy(F.col(f"`{c}`")).count().collect(), key=lambda r: -r[1])
            label_counts[c] = {(MISSING_GROUP if v is None else str(v)): int(n) for v, n in found}
        kept = [c for c in types if c not in set(identifying_columns)]
        without = None
        if 0 < len(kept) < len(types):  # one more job, only when some column is identifying
            without = rows - df.select(*[F.col(f"`{c}`") for c in kept]).distinct().count()
        return DataProfile(rows=rows, duplicate_rows=rows - distinct, column_types=types, time_ranges=ranges,
                           label_counts=label_counts, duplicate_rows_without_identifying=without)

    def row_difference(self, new: Table, old: Table) -> tuple[int, int]:
        a, b = self.frame(new), self.frame(old)
        if a.schema.simpleString() != b.schema.simpleString():
            return a.count(), b.count()  # no row of one schema is a row of the other
        return a.exceptAll(b).count(), b.exceptAll(a).count()
