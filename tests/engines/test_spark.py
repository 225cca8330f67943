"""engines/spark.py and the Spark metric providers, on one local SparkSession, checked by hand."""

from __future__ import annotations

from collections import Counter

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from datavet.engines.base import FrameTable, ParquetTable
from datavet.gx.batches import pandas_batch

COLUMNS = {
    "text": [" ? ", "?", None, "a", "a ", "\t?\n", "b", "?x"],
    "number": [1.5, float("nan"), None, -1.0, 2.0, float("nan"), 1.5, 0.0],
    "count": [1, -1, 3, -1, 5, 6, 7, 8],
    "flag": [True, False, True, True, False, True, True, False],
    "group": ["g1", "g1", "g2", "g2", None, "g1", "g2", "g1"],
}
TRAPS = pd.DataFrame(COLUMNS)
TOKENS = ["?", "-1", "-1.0", "False", "a"]


def metric(batch, name: str, **kwargs):
    """A datavet metric computed by GX's execution engine of ``batch``."""
    from great_expectations.validator.metric_configuration import MetricConfiguration
    from great_expectations.validator.v1_validator import Validator

    validator = Validator(batch_definition=batch[0], batch_parameters=batch[1])._wrapped_validator
    config = MetricConfiguration(name, {"batch_id": validator.active_batch_id}, kwargs)
    return validator.get_metric(config)


def canonical(value: dict) -> dict:
    """Order-free form of a metric value (groups arrive in engine order)."""
    out = dict(value)
    if "rows" in out:
        out["rows"] = sorted(out["rows"], key=repr)
    if "groups" in out:
        out["groups"] = sorted(out["groups"], key=repr)
    return out


@pytest.mark.parametrize("by", [[], ["group"], ["group", "flag"]])
def test_missing_counts_identical_to_pandas(spark_session, tmp_path, by):
    from datavet.engines.spark import SparkEngine
    from datavet.settings import Settings

    path = tmp_path / "traps.parquet"
    pq.write_table(pa.table({c: pa.array(v, from_pandas=False) for c, v in COLUMNS.items()}), path)  # NaN kept
    spark = SparkEngine(Settings(project=tmp_path)).gx_batch(ParquetTable(path))
    kwargs = {"by": by, "missing_tokens": TOKENS}
    got = metric(spark, "datavet.missing_counts", **kwargs)
    expected = metric(pandas_batch(TRAPS), "datavet.missing_counts", **kwargs)
    assert canonical(got) == canonical(expected)
    whole = {tuple(k): (n, cols) for k, n, cols in got["groups"]}
    if not by:  # by hand: " ? ", "?" and "\t?\n" are "?"; None is null; "a " is "a"
        assert whole[()][1]["text"] == [1, 3, 0, 0, 0, 2]
        assert whole[()][1]["number"] == [3, 0, 0, 1, 0, 0]  # NaN, NaN, None; -1.0 matches only "-1.0"
        assert whole[()][1]["count"] == [0, 0, 2, 0, 0, 0]
        assert whole[()][1]["flag"] == [0, 0, 0, 0, 3, 0]
    counts = metric(spark, "datavet.value_counts", group_columns=["group", "text", "flag"])
    assert canonical(counts) == canonical(metric(pandas_batch(TRAPS), "datavet.value_counts",
                                                 group_columns=["group", "text", "flag"]))
    assert all(type(v) in (str, bool, type(None)) for key, _ in counts["rows"] for v in key)


def test_value_counts_profile_and_difference_by_hand(spark_session, datasets, tmp_path):
    from datavet.engines.spark import SparkEngine

    bank = datasets["bank"]
    engine = SparkEngine(bank.settings)
    table = ParquetTable(bank.parquet)
    assert engine.columns(table) == list(bank.df.columns)
    assert dict(engine.value_counts(table, ["job", "y"])) == {
        k: int(v) for k, v in bank.df.groupby(["job", "y"]).size().items()}
    profile = engine.profile(table, time_columns=[], label_columns=["y"], missing_tokens=["unknown"])
    assert profile.rows == 4521 and profile.duplicate_rows == int(bank.df.duplicated().sum())
    assert profile.label_counts == {"y": {str(k): int(v) for k, v in bank.df["y"].value_counts().items()}}
    assert profile.column_types["age"] == "bigint" and profile.column_types["job"] == "string"
    changed = pd.concat([bank.df.iloc[40:], bank.df.iloc[:2].assign(age=999)], ignore_index=True)
    old = Counter(map(tuple, bank.df.astype(str).to_numpy().tolist()))
    new = Counter(map(tuple, changed.astype(str).to_numpy().tolist()))
    assert engine.row_difference(FrameTable(changed), table) == (sum((new - old).values()),
                                                                 sum((old - new).values())) == (2, 40)


def test_a_directory_of_parquet_files(spark_session, datasets, tmp_path):
    """A partitioned directory (Hive-style sex=... folders) is read as one table."""
    from datavet.engines.spark import SparkEngine

    adult = datasets["adult"]
    folder = tmp_path / "adult"
    pq.write_to_dataset(pa.Table.from_pandas(adult.df, preserve_index=False), folder, partition_cols=["sex"])
    engine = SparkEngine(adult.settings)
    got = dict(engine.value_counts(ParquetTable(folder), ["sex", "race"]))
    assert got == {k: int(v) for k, v in adult.df.groupby(["sex", "race"]).size().items()}
    assert sorted(engine.columns(ParquetTable(folder))) == sorted(adult.df.columns)


def _canonical(tables: dict) -> dict:
    """Count tables with their rows in a stable order (engines return groups in any order)."""
    def key(row):
        return repr(row[0])

    out = {"value_counts": {}, "missing_counts": {}}
    for wanted, table in tables["value_counts"].items():
        out["value_counts"][wanted] = sorted(table["rows"], key=key)
    for wanted, table in tables["missing_counts"].items():
        out["missing_counts"][wanted] = sorted(table["groups"], key=key)
    return out


def test_count_tables_in_one_job_per_aggregation(spark_session, datasets, tmp_path):
    """The whole plan's count tables on Spark: equal to pandas' group-bys (NaN, tokens and null groups
    included), from two Spark jobs whatever the number of column sets."""
    from datavet.gx.metrics.count_tables import pandas_tables, spark_tables
    from datavet.gx.plan import missing_plan, value_plan

    plan = (value_plan(["group"]) | value_plan(["text", "group"]) | value_plan(["flag"])
            | missing_plan([], TOKENS) | missing_plan(["group"], ["?"]) | missing_plan(["flag", "group"], ["a"]))
    path = tmp_path / "traps.parquet"
    pq.write_table(pa.table({c: pa.array(v, from_pandas=False) for c, v in COLUMNS.items()}), path)  # NaN kept
    frame = spark_session.read.parquet(str(path))
    tracker = spark_session.sparkContext.statusTracker()
    spark_session.sparkContext.setJobGroup("count-tables", "count tables")
    got = spark_tables(frame, plan)
    jobs = tracker.getJobIdsForGroup("count-tables")
    spark_session.sparkContext.setJobGroup("other", "other")
    assert _canonical(got) == _canonical(pandas_tables(TRAPS, plan))
    assert 2 <= len(jobs) <= 2 * 2, jobs  # two aggregations; Spark may add a job to each (adaptive plan)

    adult = datasets["adult"]
    adult_plan = (value_plan(["sex"]) | value_plan(["race", "sex"]) | value_plan(["income", "sex", "race"])
                  | missing_plan([], ["?"]) | missing_plan(["sex"], ["?"]) | missing_plan(["race"], ["?"]))
    on_spark = spark_tables(spark_session.read.parquet(str(adult.parquet)), adult_plan)
    assert _canonical(on_spark) == _canonical(pandas_tables(pd.read_parquet(adult.parquet), adult_plan))


def test_a_part_an_executor_cannot_read_is_a_data_error(spark_session, datasets, tmp_path):
    """spark_parts: a part whose files an executor cannot read (here: gone; on a cluster: not on a
    shared path) stops the version with a DataError naming the part, and leaves no partial file."""
    from datavet.errors import DataError
    from datavet.fsutil import file_md5
    from datavet.settings import Settings
    from datavet.sources.partitioned import PartTask
    from datavet.sources.spark_parts import write_parts
    from datavet.sources.table import literal

    bank = datasets["bank"]
    good = PartTask("part-good.parquet", f"SELECT * FROM read_parquet({literal(str(bank.parquet))})")
    gone = PartTask("part-gone.parquet", f"SELECT * FROM read_parquet({literal(str(tmp_path / 'gone.parquet'))})")
    folder = tmp_path / "parts"
    settings = Settings(project=tmp_path)
    written = write_parts(settings, [good], folder, dataset="bank")
    assert written.parts["part-good.parquet"].rows == len(bank.df)
    assert written.parts["part-good.parquet"].md5 == file_md5(folder / "part-good.parquet")
    with pytest.raises(DataError) as caught:
        write_parts(settings, [gone, good], folder, dataset="bank")
    message = str(caught.value)
    assert "part-gone.parquet" in message and "bank" in message and "executor" in message
    assert sorted(p.name for p in folder.iterdir()) == ["part-good.parquet"]  # no temp file, no partial part
