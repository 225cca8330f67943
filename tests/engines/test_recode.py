"""Issue 12: ``values`` and ``bins`` are applied before every check, on every engine, with the same
figures as an independent pandas computation on the raw German credit file (sex decoded from
attribute 9, age banded); edges and bad input on small frames."""

from __future__ import annotations

import pandas as pd
import pytest

from datavet.checks import run_checks
from datavet.errors import DataError, SpecError
from tests.checks.conftest import DATA, base_spec, make_loaded
from tests.checks.test_datasets import GERMAN, german_spec

URL_ENV = "DATAVET_TEST_PG_URL"
SEX = {"A91": "male", "A92": "female", "A93": "male", "A94": "male", "A95": "female"}
BINS = [25, 35, 50, 65]


def recoded_spec() -> dict:
    spec = german_spec()
    spec["name"] = "german_recoded"
    spec["columns"] = {"personal_status_sex": {"role": "protected", "values": SEX},
                       "age": {"role": "protected", "bins": BINS, "labels": ["25-34", "35-49", "50-64"]},
                       "risk": {"role": "label", "positive": 1}}
    spec["checks"] = {
        "missingness": {"max_rate": 0.0, "parity": [{"column": "savings", "by": "age", "max_diff": 0.1}]},
        "representation": [{"column": "personal_status_sex", "reference": {"male": 0.5, "female": 0.5},
                            "min_count": 20},
                           {"column": "age", "min_count": 10}],
        "label_balance": [{"label": "risk", "by": "personal_status_sex", "min_disparate_impact": 0.8},
                          {"label": "risk", "by": "age", "min_disparate_impact": 0.5, "severity": "warning"}],
        "intersectional": [{"columns": ["personal_status_sex", "age"], "min_count": 5}],
    }
    return spec


def by_hand() -> dict:
    """The figures from the raw file with pandas alone (no datavet code)."""
    raw = pd.read_csv(DATA / "german.data", sep=" ", header=None, names=GERMAN)
    sex = raw["personal_status_sex"].map(SEX)
    band = pd.cut(raw["age"], [-float("inf"), *BINS, float("inf")], right=False,
                  labels=["< 25", "25-34", "35-49", "50-64", ">= 65"]).astype(str)
    good = raw["risk"] == 1
    return {"sex": sex.value_counts().to_dict(), "band": band.value_counts().to_dict(),
            "rate_sex": good.groupby(sex).mean().to_dict(), "rate_band": good.groupby(band).mean().to_dict(),
            "cells": {f"{s}|{b}": int(n) for (s, b), n in pd.crosstab(sex, band).stack().items() if n}}


def check(report, name: str, **subject):
    found = [c for c in report.checks if c.check == name
             and all(getattr(c, k) == v for k, v in subject.items())]
    assert len(found) == 1, (name, subject, [(c.check, c.column, c.by) for c in report.checks])
    return found[0]


@pytest.fixture(scope="module")
def german(tmp_path_factory):
    from tests.checks.conftest import Project

    return Project(tmp_path_factory.mktemp("recode"), recoded_spec())


@pytest.mark.parametrize("engine", ["pandas", "duckdb", "spark", "sql"])
def test_recoded_figures_match_pandas_on_every_engine(engine, german, request, tmp_path_factory):
    if engine == "spark":
        request.getfixturevalue("spark_session")
    if engine == "sql":
        server = request.getfixturevalue("postgres")  # public.german holds the raw codes and ages
        spec = recoded_spec()
        spec["source"] = {"sql": {"url_env": URL_ENV, "table": "public.german"}}
        loaded, settings = make_loaded(tmp_path_factory.mktemp("recode-sql"), spec)
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv(URL_ENV, server.url())
            report = run_checks(loaded, None, engine="sql", settings=settings, store=False)
    else:
        report = german.run(engine, store=False)
    assert report.engine == engine
    want = by_hand()
    sex = check(report, "representation", column="personal_status_sex").observed
    assert sex["counts"] == want["sex"] == {"male": 690, "female": 310}
    age = check(report, "representation", column="age").observed
    assert age["counts"] == want["band"]
    assert sum(age["counts"].values()) == 1000
    balance = check(report, "label_balance", by="personal_status_sex").observed
    assert balance["positive_rates"] == pytest.approx(want["rate_sex"], abs=1e-12)
    assert balance["rows"] == want["sex"]
    by_age = check(report, "label_balance", by="age").observed
    assert by_age["positive_rates"] == pytest.approx(want["rate_band"], abs=1e-12)
    cells = check(report, "intersectional").observed["cell_counts"]
    assert cells == want["cells"]
    parity = check(report, "missingness_parity", column="savings", by="age").observed
    assert parity["group_rows"] == want["band"]  # the missing-counts table, grouped by band


def frame_project(tmp_path, columns: dict, frame: pd.DataFrame, checks: dict, **extra):
    spec = base_spec("edges", DATA / "german.data", columns=columns, checks=checks, **extra)
    loaded, settings = make_loaded(tmp_path, spec)
    return loaded, settings, frame


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_band_edges(engine, tmp_path):
    """Right-open bands; below the first edge and at or above the last are open bands; null is missing."""
    ages = pd.DataFrame({"age": [-1, 0, 17, 18, 64.5, 65, 100, None], "x": list("abcdefgh")})
    loaded, settings, df = frame_project(tmp_path, {"age": {"role": "protected", "bins": [0, 18, 65]}}, ages,
                                         {"representation": [{"column": "age", "min_count": 1}]})
    data = df
    if engine == "duckdb":
        data = tmp_path / "edges.parquet"
        df.to_parquet(data)
    report = run_checks(loaded, data, engine=engine, settings=settings, store=False)
    counts = check(report, "representation", column="age").observed["counts"]
    assert counts == {"< 0": 1, "[0, 18)": 2, "[18, 65)": 2, ">= 65": 2}
    assert check(report, "missingness", column="age").observed["missing_count"] == 1


def test_values_not_in_the_map_keep_their_name_and_yaml_numbers_are_text(tmp_path):
    df = pd.DataFrame({"sex": [1, 1, 0, 2, None], "code": ["A91", "A92", "A92", "A93", "?"]})
    loaded, settings, _ = frame_project(
        tmp_path, {"sex": {"role": "protected", "values": {1: "male", 0: "female"}},
                   "code": {"role": "protected", "values": {"A91": "male"}}}, df,
        {"representation": [{"column": "sex", "min_count": 1}, {"column": "code", "min_count": 1}]},
        missing_tokens=["?"])
    report = run_checks(loaded, df, engine="pandas", settings=settings, store=False)
    # pandas reads the column as float (a null is present): 1.0's text is "1.0", not the key "1"
    assert check(report, "representation", column="sex").observed["counts"] == {"1.0": 2, "0.0": 1, "2.0": 1}
    assert check(report, "representation", column="code").observed["counts"] == {"male": 1, "A92": 2, "A93": 1}
    ints = df.assign(sex=[1, 1, 0, 2, 1]).astype({"sex": "int64"})
    report = run_checks(loaded, ints, engine="pandas", settings=settings, store=False)
    assert check(report, "representation", column="sex").observed["counts"] == {"male": 3, "female": 1, "2": 1}


@pytest.mark.parametrize("columns,words", [
    ({"age": {"bins": [0, 30, 18]}}, ["columns.age", "strictly ascending"]),
    ({"age": {"bins": [0, 18, 18]}}, ["columns.age", "strictly ascending"]),
    ({"age": {"bins": [0, 18, 65], "labels": ["young", "adult", "old"]}}, ["columns.age", "3 labels", "give 2"]),
    ({"age": {"labels": ["a"]}}, ["columns.age", "add bins"]),
    ({"age": {"bins": [0, 18], "values": {"1": "one"}}}, ["columns.age", "not both"]),
    ({"age": {"values": {"?": "unknown"}}}, ["columns", "missing token"]),
    ({"age": {"values": {"1": ""}}}, ["columns.age", "non-empty"]),
])
def test_bad_recoding_is_a_spec_error(columns, words, tmp_path):
    with pytest.raises(SpecError) as err:
        make_loaded(tmp_path, base_spec("bad", DATA / "german.data", columns=columns, missing_tokens=["?"]))
    text = str(err.value)
    assert "dataset.yaml" in text and all(w in text for w in words), text


def test_bins_on_text_are_a_data_error_before_anything_is_written(tmp_path):
    df = pd.DataFrame({"age": ["young", "old", "old"], "y": [1, 0, 1]})
    loaded, settings, _ = frame_project(tmp_path, {"age": {"role": "protected", "bins": [0, 18]}}, df,
                                        {"representation": [{"column": "age", "min_count": 1}]})
    with pytest.raises(DataError) as err:
        run_checks(loaded, df, engine="pandas", settings=settings, store=True)
    assert err.value.dataset == "edges" and err.value.column == "age"
    assert "bins need numbers" in err.value.message and "values:" in (err.value.fix or "")
    written = [p for p in (tmp_path / "gx").rglob("*") if p.is_file() and "validation" in str(p)]
    assert written == []


def test_a_recoded_label_takes_its_positive_from_the_names(tmp_path):
    """``positive`` names a recoded group; the version stage's role check accepts the codes behind it."""
    from datavet.sources.roles import check_role_columns

    df = pd.DataFrame({"sex": ["A91", "A92", "A92", "A93", "A95"], "y": [1, 2, 1, 1, 2]})
    loaded, settings, _ = frame_project(
        tmp_path, {"sex": {"role": "protected", "values": SEX},
                   "y": {"role": "label", "values": {1: "good", 2: "bad"}, "positive": "good"}}, df,
        {"label_balance": [{"label": "y", "by": "sex", "max_parity_difference": 1.0}]})
    check_role_columns(loaded, df, settings)  # raised "no row has the positive value 'good'" before
    report = run_checks(loaded, df, engine="pandas", settings=settings, store=False)
    rates = check(report, "label_balance", by="sex").observed["positive_rates"]
    assert rates == {"male": 1.0, "female": pytest.approx(1 / 3)}
    # the datasheet's label figure names the classes as the checks do; its column table states the maps
    from datavet.datasheet.computed import build_sections
    from datavet.engines.base import FrameTable
    from datavet.engines.duckdb import DuckDBEngine

    profile = DuckDBEngine(settings).profile(FrameTable(df), time_columns=[], label_columns=["y"],
                                             missing_tokens=[])
    computed, _ = build_sections(loaded, report, profile)
    assert computed.label.positive == "good"
    assert sorted(c.group for c in computed.label.classes) == ["bad", "good"]  # counts below 10: withheld
    recoded = {c.name: c.recoded for c in computed.columns}
    assert recoded["y"] == "values renamed before the checks (others keep their own): 1 → good; 2 → bad"
