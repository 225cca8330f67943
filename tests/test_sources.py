"""Sources: a CSV file, a Parquet file or a Hive-partitioned directory of Parquet files becomes one
Parquet version, read with the meaning pandas gave it, deterministic, in bounded memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest

from datavet.errors import DataError
from datavet.ingest import read_parquet, write_parquet
from datavet.settings import Settings
from datavet.sources import source_for, source_kind
from datavet.spec import LoadedSpec, parse_spec
from tests.conftest import REPO, SHARED_DATA, adult_spec_dict, make_project, project_env

ADULT_OPTIONS = adult_spec_dict()["source"]["options"]
GERMAN = [f"a{i}" for i in range(1, 21)] + ["risk"]
DATASETS = {  # file, source.options: as the specs in tests/checks read them
    "adult": ("adult.data", ADULT_OPTIONS),
    "titanic": ("titanic_train.csv", {}),
    "german": ("german.data", {"sep": " ", "header": None, "names": GERMAN}),
    "bank": ("bank_marketing_bank.csv", {"sep": ";"}),
    "countries": ("country_codes_iso3166.csv", {}),
}


def loaded_for(root: Path, source: dict[str, Any], **spec: Any) -> LoadedSpec:
    data = {"name": "people", "title": "people", "owner": "tests@example.org", "license": "CC0", "source": source,
            "columns": {}, "checks": {}, **spec}
    path = root / "datasheets" / "people" / "dataset.yaml"
    return LoadedSpec(spec=parse_spec(data, path), path=path, root=root)


def materialise(root: Path, source: dict[str, Any], staging: str = "v", **spec: Any):
    loaded = loaded_for(root, source, **spec)
    return source_for(loaded, Settings(project=root)).materialise(root / staging)


@pytest.mark.parametrize("name", list(DATASETS))
def test_version_holds_what_pandas_read(tmp_path: Path, name: str) -> None:
    """Values, nulls and types as pandas.read_csv (no default NA list) gives them, and the very bytes
    the pandas path writes (``ingest.write_parquet``, with a version's writer choices), except where
    an integer column has an empty cell (the ISO country codes): that column stays integer (exact),
    where pandas made it float64."""
    file, options = DATASETS[name]
    expected = pd.read_csv(SHARED_DATA / file, keep_default_na=False, na_values=[""], **options)
    made = materialise(tmp_path, {"path": str(SHARED_DATA / file), "format": "csv", "options": options})
    pd.testing.assert_frame_equal(pd.read_parquet(made.table), expected, check_exact=True)
    assert made.rows == len(expected)
    schema = pq.read_schema(made.table)
    holes = [c for c in expected.columns if schema.field(c).type == "int64" and expected[c].isna().any()]
    assert bool(holes) == (name == "countries")
    assert (made.md5 == write_parquet(expected, tmp_path / "pandas.parquet")) == (not holes)
    # pandas' reading with the integers exact gives the version's very bytes, in every case
    exact = expected.astype({c: "Int64" for c in holes})
    assert made.md5 == write_parquet(exact, tmp_path / "exact.parquet")
    pd.testing.assert_frame_equal(read_parquet(made.table), exact, check_exact=True)


def test_namibia_and_tokens_survive_and_types_follow_pandas(tmp_path: Path) -> None:
    csv = tmp_path / "t.csv"
    csv.write_text('code,n,ratio,empty,mixed,flag\nNA,1,0.5,,1,True\n?,2,,"",x,False\nNAM,,1e3,,2,True\n')
    df = pd.read_parquet(materialise(tmp_path, {"path": str(csv)}).table)
    assert df["code"].tolist() == ["NA", "?", "NAM"]
    assert df["n"].dtype == "float64" and df["n"].isna().tolist() == [False, False, True]  # int with a gap
    assert df["ratio"].dtype == "float64" and df["ratio"].tolist()[2] == 1000.0
    assert df["empty"].dtype == "float64" and df["empty"].isna().all()  # as pandas: no value at all
    assert df["mixed"].tolist() == ["1", "x", "2"]
    assert df["flag"].tolist() == ["True", "False", "True"]  # kept as published (README)


def test_a_value_past_the_sample_retypes_the_column(tmp_path: Path) -> None:
    """DuckDB sniffs types on a sample; a later value that does not fit makes the column text, as
    pandas (which reads every row) would, instead of failing or losing the value."""
    csv = tmp_path / "late.csv"
    csv.write_text("id,score\n" + "".join(f"{i},{i}\n" for i in range(60_000)) + "60000,n/a\n")
    df = pd.read_parquet(materialise(tmp_path, {"path": str(csv)}).table)
    assert df["id"].dtype == "int64" and df["score"].iloc[-1] == "n/a" and df["score"].iloc[0] == "0"


def test_same_source_bytes_give_the_same_version(tmp_path: Path) -> None:
    """Two threads read the CSV in parallel; row groups are cut by row count, not by thread timing."""
    csv = tmp_path / "big.csv"
    duckdb.sql(f"""COPY (SELECT i AS id, ['F','M','X'][1 + i % 3] AS sex, CASE WHEN i % 7 = 0 THEN NULL ELSE i % 90
                  END AS age, hash(i) % 1000 / 7.0 AS score FROM range(300000) t(i)) TO '{csv}' (HEADER)""")
    first = materialise(tmp_path, {"path": str(csv)}, staging="a")
    second = materialise(tmp_path, {"path": str(csv)}, staging="b")
    assert first.md5 == second.md5 and first.path.read_bytes() == second.path.read_bytes()
    meta = pq.ParquetFile(first.path).metadata
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [1 << 17, 1 << 17, 300000 - (2 << 17)]
    assert str(pq.read_schema(first.path).field("age").type) == "int64"  # int with nulls stays exact


def _partitioned_adult(root: Path, by: str) -> tuple[Path, Any]:
    csv_version = materialise(root, {"path": str(SHARED_DATA / "adult.data"), "format": "csv",
                                     "options": ADULT_OPTIONS}, staging="csv")
    folder = root / f"adult_by_{by}"
    pq.write_to_dataset(pq.read_table(csv_version.table), folder, partition_cols=[by])
    (folder / "_SUCCESS").write_text("")  # what Spark leaves: not data
    return folder, csv_version


def test_partitioned_directory_reads_as_one_dataset(tmp_path: Path) -> None:
    folder, csv_version = _partitioned_adult(tmp_path, "race")
    loaded = loaded_for(tmp_path, {"path": str(folder)})
    assert source_kind(loaded) == "parquet"  # a directory needs no format
    made = source_for(loaded, Settings(project=tmp_path)).materialise(tmp_path / "dir")
    again = source_for(loaded, Settings(project=tmp_path)).materialise(tmp_path / "dir-again")
    assert made.md5 == again.md5 and made.rows == csv_version.rows == 32561
    from_dir = pd.read_parquet(made.table)
    from_csv = pd.read_parquet(csv_version.table)
    assert list(from_dir.columns) == [c for c in from_csv.columns if c != "race"] + ["race"]
    key = list(from_csv.columns)
    pd.testing.assert_frame_equal(from_dir[key].sort_values(key).reset_index(drop=True),
                                  from_csv.sort_values(key).reset_index(drop=True), check_exact=True)


def _certified_report(root: Path, spec: dict[str, Any]) -> tuple[Any, Any]:
    from datavet.pipeline import registry_for, run_all
    from datavet.report import CheckReport
    from datavet.spec import load_spec

    path = make_project(root, spec, answers_from=REPO / "datasheets" / "adult" / "answers.yaml")
    settings = Settings(project=root, home=root / ".datavet")
    _, cert, created = run_all(load_spec(path), settings)
    assert created
    registry = registry_for(settings)
    return cert, CheckReport.model_validate_json(registry.show(cert.tag, registry.validation_path("adult", cert.md5)))


def test_partitioned_directory_certifies_with_the_figures_of_one_file(tmp_path: Path) -> None:
    folder, _ = _partitioned_adult(tmp_path, "sex")
    spec = adult_spec_dict()
    one_cert, one = _certified_report(tmp_path / "one", spec)
    spec["source"] = {"path": str(folder)}
    dir_cert, by_sex = _certified_report(tmp_path / "dir", spec)
    assert dir_cert.rows == one_cert.rows == 32561 and dir_cert.md5 != one_cert.md5  # other row order

    def figures(report) -> dict:
        return {(c.check, c.column, tuple(c.columns or ()), str(c.by)): (c.success, c.observed, c.failures)
                for c in report.checks}

    assert figures(by_sex) == figures(one) and len(one.checks) > 10


def test_bad_table_sources_are_refused_clearly(tmp_path: Path) -> None:
    csv = tmp_path / "a.csv"
    csv.write_text("a,b\n1,2\n")
    cases = [
        ({"path": str(csv), "options": {"na_values": ["?"]}}, "are not CSV reader options", "missing_tokens"),
        ({"path": str(csv), "options": {"names": ["x"]}}, "gives 1 names but the rows have 2", "one name per"),
        ({"path": str(csv), "options": {"sep": r"\s+"}}, "is not a separator", "literal separator"),
        ({"path": str(csv), "options": {"encoding": "klingon"}}, "unknown encoding", "Python codec name"),
        ({"path": str(csv), "format": "parquet", "options": {"columns": ["a"]}}, "mean nothing for a Parquet",
         "remove source.options"),
    ]
    (tmp_path / "empty_dir").mkdir()
    cases.append(({"path": str(tmp_path / "empty_dir")}, "holds no *.parquet files", "check source.path"))
    late = tmp_path / "late_ragged.csv"
    late.write_text("a,b\n" + "1,2\n" * 60_000 + "3,4,5\n")
    cases.append(({"path": str(late)}, "not a well-formed CSV: CSV Error on Line: 60002", "repair the ragged rows"))
    bad_utf8 = tmp_path / "late_latin1.csv"
    bad_utf8.write_bytes(("a,b\n" + "x,y\n" * 400_000 + "Jos\xe9,1\n").encode("latin-1"))
    cases.append(({"path": str(bad_utf8)}, "is not utf-8 text", "set source.options.encoding"))
    blank = tmp_path / "blank.csv"
    blank.write_text("\n\n")
    cases.append(({"path": str(blank)}, "is empty: no header and no rows", "check source.path"))
    for source, fragment, fix in cases:
        with pytest.raises(DataError) as err:
            materialise(tmp_path, source)
        text = str(err.value)
        assert fragment in text and fix in text and "people" in text, text
        assert "x,y" not in text and "3,4,5" not in text  # no line of the data in a message
        assert not (tmp_path / "v" / "table.parquet").exists()  # nothing half written


def test_non_utf8_encodings_are_decoded(tmp_path: Path) -> None:
    csv = tmp_path / "cp1252.csv"
    csv.write_bytes("name,country\nJos\xe9,\u20ac\n".encode("cp1252"))
    df = pd.read_parquet(materialise(tmp_path, {"path": str(csv), "options": {"encoding": "cp1252"}}).table)
    assert df.to_dict("records") == [{"name": "Jos\xe9", "country": "\u20ac"}]


MEASURE = textwrap.dedent("""
    import json, resource, sys
    from pathlib import Path
    from datavet.pipeline import version
    from datavet.settings import Settings
    from datavet.spec import load_spec
    root = Path(sys.argv[1])
    info = version(load_spec(root / "datasheets" / "people" / "dataset.yaml"), Settings(project=root))
    print(json.dumps({"rows": info.rows, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
""")


def _version_peak(root: Path, rows: int) -> dict:
    """Peak RSS of the version stage, in its own process, on ``rows`` rows of the benchmark's people-data."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    from bench_checks import GENERATE  # the benchmark's people-dataset

    root.mkdir()
    csv = root / "people.csv"
    duckdb.sql(GENERATE.format(rows=rows, path=csv).replace("FORMAT parquet, COMPRESSION zstd", "FORMAT csv"))
    spec = {"name": "people", "title": "people", "owner": "tests@example.org", "license": "CC0",
            "source": {"path": str(csv)}, "columns": {"sex": {"role": "protected"},
                                                      "label": {"role": "label", "positive": "yes"}}}
    make_project(root, spec)
    env = {**os.environ, **project_env(root), "PYTHONPATH": str(REPO / "plugins")}
    proc = subprocess.run([sys.executable, "-c", MEASURE, str(root)], capture_output=True, text=True, env=env,
                          check=True)
    measured = json.loads(proc.stdout.strip().splitlines()[-1])
    assert measured["rows"] == rows
    return measured


def test_version_stage_memory_stays_bounded(tmp_path: Path) -> None:
    """Ten times the rows, about the same peak: the pandas reader peaked at 900 MB on three million
    rows of 16 columns (and 3.9 GB at ten million); streaming, the version stage stays near its fixed
    cost. The fixed cost itself depends on what is installed (GX imports pyspark when it is there), so
    the bound is on the growth: measured about 400 MB at both sizes without pyspark, 780 MB with it."""
    small = _version_peak(tmp_path / "small", 300_000)
    large = _version_peak(tmp_path / "large", 3_000_000)
    assert large["peak_mb"] - small["peak_mb"] < 200, (small, large)
    assert large["peak_mb"] < 1200, large  # far below the pandas reader's 3.9 GB at ten million
