"""The traps of real data, on both engines: empty data, all-missing columns, groups on one side only,
a group of one row, tokens, Namibia's ``NA``, 100k distinct values, a column the data lacks."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from datavet.errors import ColumnNotFoundError, DataError
from datavet.ingest import write_parquet
from tests.checks.conftest import by_check, close, make_loaded

ENGINES = ["pandas", "duckdb"]


def run(tmp_path, spec_checks, df, engine, **spec_extra):
    from datavet.checks import run_checks

    spec = {"name": "trap", "title": "t", "owner": "o", "license": "CC0", "source": {"path": "trap.parquet"},
            "checks": spec_checks, **spec_extra}
    loaded, settings = make_loaded(tmp_path, spec)
    if engine == "duckdb":
        path = tmp_path / "trap.parquet"
        write_parquet(df, path)
        return run_checks(loaded, path, settings=settings, store=False)
    return run_checks(loaded, df, engine="pandas", settings=settings, store=False)


def both(tmp_path, spec_checks, df, **spec_extra):
    reports = [run(tmp_path / e, spec_checks, df, e, **spec_extra) for e in ENGINES]
    for a, b in zip(reports[0].checks, reports[1].checks, strict=True):
        assert close(a.observed, b.observed, 1e-12), (a.check, a.observed, b.observed)
        assert (a.success, a.failures, a.notes) == (b.success, b.failures, b.notes)
    return reports[1]


def test_empty_dataset(tmp_path):
    df = pd.DataFrame({"sex": pd.Series([], dtype="str"), "y": pd.Series([], dtype="str")})
    report = both(tmp_path, {"missingness": {"max_rate": 0.1},
                             "representation": [{"column": "sex", "reference": {"F": 0.5, "M": 0.5},
                                                 "min_ratio": 0.8, "max_tvd": 0.1}],
                             "label_balance": [{"label": "y", "by": "sex", "positive": "1",
                                                "min_disparate_impact": 0.8}]}, df)
    assert report.rows == 0 and not report.success
    (miss,) = by_check(report, "missingness", column="sex")
    assert miss.observed["missing_rate"] is None and miss.notes and not miss.success
    (rep,) = by_check(report, "representation")
    assert rep.observed["tvd"] is None and rep.observed["chi2_pvalue"] is None
    assert rep.observed["absent_groups"] == ["F", "M"]
    assert any("undefined" in f for f in rep.failures)
    assert '"tvd": null' in report.to_json()


def test_all_missing_column(tmp_path):
    df = pd.DataFrame({"sex": ["F", "M", "F", "M"], "job": [None, "?", " ? ", None]})
    report = both(tmp_path, {"missingness": {"max_rate": 0.5,
                                             "parity": [{"column": "job", "by": "sex", "max_ratio": 2.0}]},
                             "representation": [{"column": "job", "min_count": 1}]}, df, missing_tokens=["?"])
    (job,) = by_check(report, "missingness", column="job")
    assert job.observed == {"rows": 4, "missing_count": 4, "missing_rate": 1.0, "token_counts": {"null": 2, "?": 2}}
    assert job.failures == ["missing_rate = 1 > max_rate 0.5"]
    (rep,) = by_check(report, "representation")
    assert rep.observed["counts"] == {} and rep.observed["min_share_observed"] is None
    (parity,) = by_check(report, "missingness_parity")
    assert parity.observed["group_missing_rate"] == {"F": 1.0, "M": 1.0} and parity.observed["max_ratio"] == 1.0


def test_reference_and_data_groups_on_one_side_only_and_a_group_of_one_row(tmp_path):
    df = pd.DataFrame({"g": ["a"] * 6 + ["b"] * 3 + ["x"]})
    report = both(tmp_path, {"representation": [{"column": "g", "reference": {"a": 0.5, "b": 0.3, "c": 0.2},
                                                  "min_ratio": 0.5, "min_count": 2}]}, df)
    (rep,) = by_check(report, "representation")
    obs = rep.observed
    assert obs["absent_groups"] == ["c"] and obs["unexpected_groups"] == ["x"]
    assert obs["ratios"]["c"] == 0.0
    assert obs["ratios"]["a"] == pytest.approx(0.6 / 0.5, abs=1e-12)
    assert obs["tvd"] == pytest.approx(0.5 * (0.1 + 0.0 + 0.2 + 0.1), abs=1e-12)
    assert obs["min_count_observed"] == 1 and obs["min_share_observed"] == pytest.approx(0.1, abs=1e-12)
    assert "counts[x] = 1 < min_count 2" in rep.failures
    assert "counts[c] = 0 < min_count 2" in rep.failures
    assert "ratios[c] = 0 < min_ratio 0.5" in rep.failures


def test_tokens_are_compared_stripped_and_only_whole(tmp_path):
    df = pd.DataFrame({"country": ["NA", "NA", "USA", " ? ", "??", "None"], "n": [1, -1, 2, 3, -1, 5],
                       "x": [1.0, -1.0, np.nan, 2.0, None, 3.0]})
    report = both(tmp_path, {"missingness": {"max_rate": 1.0},
                             "geography": [{"column": "country"}]}, df, missing_tokens=["?", "-1"])
    counts = {c: by_check(report, "missingness", column=c)[0].observed["token_counts"] for c in df.columns}
    # "NA" and "None" are values; "??" is not "?"; the integer -1 has the text "-1", the float -1.0 does not
    assert counts == {"country": {"null": 0, "?": 1, "-1": 0}, "n": {"null": 0, "?": 0, "-1": 2},
                      "x": {"null": 2, "?": 0, "-1": 0}}
    (geo,) = by_check(report, "geography")
    assert geo.observed["counts"] == {"NAM": 2, "USA": 1}
    assert geo.observed["unresolved_values"] == {"??": 1, "None": 1}


def test_high_cardinality_without_blow_up(tmp_path):
    rng = np.random.default_rng(7)
    ids = np.concatenate([np.arange(100_000), rng.integers(0, 100_000, 20_000)])
    df = pd.DataFrame({"id": [f"id{i}" for i in ids], "sex": rng.choice(["F", "M"], len(ids))})
    start = time.perf_counter()
    report = both(tmp_path, {"representation": [{"column": "id", "min_count": 1}],
                             "intersectional": [{"columns": ["id", "sex"], "min_count": 1}]}, df)
    assert time.perf_counter() - start < 60
    (rep,) = by_check(report, "representation")
    assert len(rep.observed["counts"]) == df["id"].nunique() == 100_000 and rep.success
    (cells,) = by_check(report, "intersectional")
    empty = 2 * 100_000 - df.groupby(["id", "sex"]).ngroups
    assert len(cells.observed["empty_cells"]) == min(empty, 1000)
    assert any(f"empty_cells lists 1000 of {empty}" in n for n in cells.notes)
    assert len(cells.failures) == 1 and cells.failures[0].startswith(f"{empty} empty cell(s)")


@pytest.mark.parametrize("engine", ENGINES)
def test_column_named_in_spec_but_not_in_data(tmp_path, engine):
    df = pd.DataFrame({"sex": ["F", "M"]})
    with pytest.raises(ColumnNotFoundError) as err:
        run(tmp_path, {"representation": [{"column": "gender", "min_count": 1}]}, df, engine)
    message = str(err.value)
    assert "'trap'" in message and "gender" in message and "Fix:" in message


def test_bad_data_argument(tmp_path):
    from datavet.checks import run_checks

    loaded, settings = make_loaded(tmp_path, {"name": "trap", "title": "t", "owner": "o", "license": "CC0",
                                              "source": {"path": "x.parquet"}})
    with pytest.raises(DataError, match="does not exist"):
        run_checks(loaded, tmp_path / "nope.parquet", settings=settings)
    with pytest.raises(DataError, match="unknown engine"):
        run_checks(loaded, pd.DataFrame({"a": [1]}), engine="nosuch", settings=settings)
    with pytest.raises(DataError, match="validates a Parquet version, not a DataFrame"):
        run_checks(loaded, pd.DataFrame({"a": [1]}), engine="spark", settings=settings)


def test_reference_from_csv_and_unknown_named_reference(tmp_path):
    from datavet.checks import build_suite
    from datavet.errors import BadReferenceError

    (tmp_path / "ref.csv").write_text("who,people\nF,300\nM,100\n")
    df = pd.DataFrame({"sex": ["F", "M", "M", "M"]})
    report = both(tmp_path, {"representation": [{"column": "sex", "max_tvd": 0.2,
                                                  "reference": {"csv": "../ref.csv", "group": "who",
                                                                "value": "people"}}]}, df)
    (rep,) = by_check(report, "representation")
    assert rep.observed["reference_shares"] == {"F": 0.75, "M": 0.25}
    assert rep.observed["tvd"] == pytest.approx(0.5, abs=1e-12)
    assert rep.failures == ["tvd = 0.5 > max_tvd 0.2"]
    loaded, settings = make_loaded(tmp_path / "bad", {
        "name": "trap", "title": "t", "owner": "o", "license": "CC0", "source": {"path": "x.parquet"},
        "checks": {"geography": [{"column": "sex", "reference": "mars_population"}]}})
    with pytest.raises(BadReferenceError, match="world_population"):
        build_suite(loaded, settings, columns=["sex"])


def test_parquet_without_suffix_runs_on_duckdb(tmp_path):
    from datavet.checks import run_checks

    df = pd.DataFrame({"sex": ["F", "M", "M"]})
    write_parquet(df, tmp_path / "blob")  # like a file in the DVC cache
    loaded, settings = make_loaded(tmp_path, {"name": "trap", "title": "t", "owner": "o", "license": "CC0",
                                              "source": {"path": "blob"}})
    report = run_checks(loaded, tmp_path / "blob", settings=settings, store=False)
    assert report.engine == "duckdb" and report.rows == 3
