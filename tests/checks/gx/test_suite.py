"""The suite file: generated from the spec, stable across runs, hand-added expectations kept and
run on both engines, unknown expectation types refused loudly."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from datavet.checks import build_suite, run_checks
from datavet.errors import SuiteError
from datavet.ingest import write_parquet
from tests.checks.conftest import by_check, make_loaded

SPEC = {"name": "people", "title": "t", "owner": "o", "license": "CC0", "source": {"path": "people.parquet"},
        "missing_tokens": ["?"],
        "checks": {"missingness": {"max_rate": 0.5},
                   "representation": [{"column": "sex", "min_count": 1}, {"column": "sex", "min_count": 2}]}}


@pytest.fixture
def project(tmp_path):
    df = pd.DataFrame({"sex": ["F", "M", "F", "?"], "age": [30, 40, 50, 60]})
    write_parquet(df, tmp_path / "people.parquet")
    loaded, settings = make_loaded(tmp_path, SPEC)
    return loaded, settings, df


def test_suite_is_written_in_the_projects_expectations_folder_and_is_stable(project):
    loaded, settings, _ = project
    path = build_suite(loaded, settings)
    assert path == settings.expectations_dir / "people.json"
    first = path.read_bytes()
    doc = json.loads(first)
    types = [e["type"] for e in doc["expectations"]]
    assert types == (["expect_column_missingness_to_be_below"] * 2
                     + ["expect_column_representation_to_match_reference"] * 2)
    assert all(e["meta"]["datavet"]["generated"] for e in doc["expectations"])
    assert build_suite(loaded, settings).read_bytes() == first  # same spec, same bytes (suite_hash)
    assert not (settings.expectations_dir / ".ge_store_backend_id").exists()
    assert (settings.gx_root / "great_expectations.yml").is_file()


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_hand_added_builtin_expectation_is_kept_and_run(project, engine):
    loaded, settings, df = project
    path = build_suite(loaded, settings)
    doc = json.loads(path.read_text())
    doc["expectations"].append({"type": "expect_table_row_count_to_be_between",
                                "kwargs": {"min_value": 1, "max_value": 3}, "meta": {"owner": "alice"}})
    path.write_text(json.dumps(doc, indent=2))
    data = df if engine == "pandas" else settings.project / "people.parquet"
    report = run_checks(loaded, data, engine=engine, settings=settings, store=False)
    (hand,) = by_check(report, "gx_expectation")
    assert hand.observed == {"expectation_type": "expect_table_row_count_to_be_between", "observed_value": 4}
    assert not hand.success and not report.success
    after = json.loads(path.read_text())["expectations"]
    assert [e["meta"] for e in after if "datavet" not in e["meta"]] == [{"owner": "alice"}]
    assert len(after) == 5  # regenerated datavet part + the hand-added one, nothing duplicated


def test_unknown_expectation_type_fails_loudly(project):
    loaded, settings, df = project
    path = build_suite(loaded, settings)
    doc = json.loads(path.read_text())
    doc["expectations"].append({"type": "expect_column_to_be_fair", "kwargs": {"column": "sex"}, "meta": {}})
    path.write_text(json.dumps(doc))
    with pytest.raises(SuiteError, match="expect_column_to_be_fair"):
        run_checks(loaded, df, engine="pandas", settings=settings, store=False)
    with pytest.raises(SuiteError, match="expect_column_to_be_fair"):
        build_suite(loaded, settings)


def test_invalid_suite_json_fails_loudly(project):
    loaded, settings, _ = project
    settings.expectations_dir.mkdir(parents=True, exist_ok=True)
    (settings.expectations_dir / "people.json").write_text("{not json")
    with pytest.raises(SuiteError, match="not valid JSON"):
        build_suite(loaded, settings)


def test_stored_result_and_data_docs(project):
    from datavet.checks import validation_result_path

    loaded, settings, _ = project
    settings = settings.model_copy(update={"data_docs": True})  # Data Docs are built only when asked
    report = run_checks(loaded, settings.project / "people.parquet", data_hash="abc", settings=settings)
    path = validation_result_path(report, settings)
    assert path is not None and path.is_file()
    assert path.is_relative_to(settings.gx_root / "uncommitted")
    stored = json.loads(path.read_text())
    assert stored["meta"]["datavet"]["data_hash"] == "abc"
    assert len(stored["results"]) == len(report.checks)
    assert (settings.gx_root / "uncommitted" / "data_docs" / "local_site" / "index.html").is_file()
    assert run_checks(loaded, settings.project / "people.parquet", settings=settings, store=False
                      ).validation_result_id is None


def test_no_data_docs_unless_asked(project):
    loaded, settings, _ = project
    assert settings.data_docs is False
    report = run_checks(loaded, settings.project / "people.parquet", data_hash="abc", settings=settings)
    assert report.validation_result_id is not None  # the result is still stored
    docs = settings.gx_root / "uncommitted" / "data_docs"  # GX creates the empty folder with the context
    assert not list(docs.rglob("*.html"))
