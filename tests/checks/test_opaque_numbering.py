"""One numbering per private column per validation: group-k names the same raw group in every check
of a report (representation, intersectional, label balance, missingness parity, geography)."""

from __future__ import annotations

import pandas as pd
import pytest

from datavet.checks import run_checks
from datavet.checks.intersectional import intersectional
from datavet.checks.label_balance import label_balance
from datavet.checks.missingness_parity import missingness_parity
from datavet.checks.representation import representation
from datavet.ingest import read_source, write_parquet
from tests.checks.conftest import DATA, adult_spec, by_check, make_loaded


def _frame() -> pd.DataFrame:
    # A: 100 rows, 60 of them without sex; B: 90 rows, all with sex. By rows A is group-1, but in the
    # cells of race x sex (and the missing-sex parity) B has more rows.
    race = ["A"] * 100 + ["B"] * 90
    sex = [None] * 60 + ["F", "M"] * 20 + ["F", "M"] * 45
    y = ["1", "0"] * 95
    country = ["Germany"] * 50 + ["DEU"] * 50 + ["FRA"] * 90  # DEU: 100 rows from two raw spellings
    return pd.DataFrame({"race": race, "sex": sex, "y": y, "country": country})


def _spec() -> dict:
    return {"name": "numbering", "title": "t", "owner": "o", "license": "CC0", "source": {"path": "p.parquet"},
            "columns": {"race": {"role": "sensitive"}, "country": {"role": "sensitive"},
                        "y": {"role": "label", "positive": "1"}},
            "checks": {"missingness": {"max_rate": 1.0,
                                       "parity": [{"column": "sex", "by": "race", "max_diff": 1.0},
                                                  {"column": "sex", "by": "country", "max_diff": 1.0}]},
                       "representation": [{"column": "race"}, {"column": "country"}],
                       "intersectional": [{"columns": ["race", "sex"]}, {"columns": ["country", "sex"]}],
                       "label_balance": [{"label": "y", "by": "race"}],
                       "geography": [{"column": "country"}]}}


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    root = tmp_path_factory.mktemp("numbering")
    df = _frame()
    write_parquet(df, root / "p.parquet")
    loaded, settings = make_loaded(root, _spec())
    return {engine: run_checks(loaded, data, engine=engine, settings=settings, store=False)
            for engine, data in (("pandas", df), ("duckdb", root / "p.parquet"))}


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_a_group_has_one_name_in_every_check(reports, engine):
    report = reports[engine]
    (rep,) = [r for r in by_check(report, "representation") if r.column == "race"]
    assert rep.observed["counts"] == {"group-1": 100, "group-2": 90}  # A is group-1
    (cells,) = [r for r in by_check(report, "intersectional") if r.columns == ["race", "sex"]]
    assert cells.observed["cell_counts"] == {"group-1|F": 20, "group-1|M": 20, "group-2|F": 45, "group-2|M": 45}
    (balance,) = by_check(report, "label_balance")
    assert balance.observed["rows"] == {"group-1": 100, "group-2": 90}
    (parity,) = [r for r in by_check(report, "missingness_parity") if r.by == "race"]
    assert parity.observed["group_missing_rate"] == {"group-1": 0.6, "group-2": 0.0}
    assert parity.observed["group_rows"] == {"group-1": 100, "group-2": 90}


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_geography_names_a_country_after_its_raw_values(reports, engine):
    report = reports[engine]
    (rep,) = [r for r in by_check(report, "representation") if r.column == "country"]
    # raw values: FRA 90 (group-1), DEU 50 and Germany 50 (group-2, group-3: ties by raw value)
    assert rep.observed["counts"] == {"group-1": 90, "group-2": 50, "group-3": 50}
    (geo,) = by_check(report, "geography")
    # Germany's 100 rows are named after its first raw spelling, France keeps group-1
    assert geo.observed["counts"] == {"group-2": 100, "group-1": 90}
    assert geo.observed["top1_country"] == "group-2"
    (cells,) = [r for r in by_check(report, "intersectional") if r.columns == ["country", "sex"]]
    # the rows without sex are Germany's 50 and 10 of DEU's: no cell of group-3 (Germany)
    assert cells.observed["cell_counts"] == {"group-1|F": 45, "group-1|M": 45, "group-2|F": 20, "group-2|M": 20}
    assert "Germany" not in report.to_json() and "FRA" not in report.to_json()


def test_figure_functions_take_the_numbering():
    names = {"A": "group-1", "B": "group-2", "<missing>": "<missing>"}
    vc = {"columns": ["race", "sex"], "rows": [[["A", None], 60], [["A", "F"], 20], [["A", "M"], 20],
                                               [["B", "F"], 45], [["B", "M"], 45]]}
    own = intersectional(vc, [], private=[True, False])
    assert own.observed["cell_counts"]["group-1|F"] == 45  # B, numbered by its own cell rows
    given = intersectional(vc, [], private=[True, False], names=[names, None])
    assert given.observed["cell_counts"]["group-1|F"] == 20
    lb = {"columns": ["race", "y"], "rows": [[["A", None], 60], [["A", "1"], 40], [["B", "0"], 90]]}
    assert label_balance(lb, [], "1", private_by=True, by_names=names).observed["positive_rates"] == \
        {"group-1": 1.0, "group-2": 0.0}
    mc = {"by": ["race"], "tokens": [], "columns": ["sex"],
          "groups": [[["A"], 100, {"sex": [60]}], [["B"], 90, {"sex": [0]}], [[None], 5, {"sex": [1]}]]}
    parity = missingness_parity(mc, "sex", private_by=True, by_names=names)
    assert parity.observed["group_missing_rate"] == {"<missing>": 0.2, "group-1": 0.6, "group-2": 0.0}
    # a reference group absent from the data is numbered after the data's groups
    rc = {"columns": ["race"], "rows": [[["A"], 100], [["B"], 90]]}
    rep = representation(rc, [], reference={"A": 0.4, "B": 0.4, "C": 0.2}, private=True, names=names)
    assert rep.observed["absent_groups"] == ["group-3"]


def test_adult_native_country_sensitive_one_name_per_group(tmp_path):
    """Adult with native-country sensitive: the representation's numbering of the raw values is the
    one the geography (countries and unresolved values), the country x workclass cells (rows with a
    known workclass only) and the label balance use."""
    spec = adult_spec()
    spec["columns"]["native-country"] = {"role": "sensitive"}
    spec["checks"] = {"representation": [{"column": "native-country"}],
                      "intersectional": [{"columns": ["native-country", "workclass"]}],
                      "label_balance": [{"label": "income", "by": "native-country"}],
                      "geography": [{"column": "native-country"}]}
    loaded, settings = make_loaded(tmp_path, spec)
    raw = read_source(loaded)
    report = run_checks(loaded, raw, engine="pandas", settings=settings, store=False)
    known = raw[raw["native-country"] != "?"]
    counts = known["native-country"].value_counts()
    order = sorted(counts.index, key=lambda v: (-counts[v], v))
    name = {v: f"group-{i}" for i, v in enumerate(order, start=1)}
    (rep,) = by_check(report, "representation")
    assert rep.observed["counts"] == {name[v]: int(counts[v]) for v in order}
    (balance,) = by_check(report, "label_balance")
    assert balance.observed["rows"] == {name[v]: int(counts[v]) for v in order}
    (cells,) = by_check(report, "intersectional")
    per_country: dict[str, int] = {}
    for key, n in cells.observed["cell_counts"].items():
        per_country[key.split("|")[0]] = per_country.get(key.split("|")[0], 0) + n
    with_workclass = known[known["workclass"] != "?"]["native-country"].value_counts()
    assert per_country == {name[v]: int(n) for v, n in with_workclass.items()}
    (geo,) = by_check(report, "geography")
    assert geo.observed["counts"][name["United-States"]] == int(counts["United-States"])
    assert geo.observed["top1_country"] == name["United-States"] == "group-1"
    # "South" does not resolve to a country: it keeps its own name, not a second "group-1"
    unresolved = geo.observed["unresolved_values"]
    assert unresolved[name["South"]] == int(counts["South"])
    by_name = {n: v for v, n in name.items()}
    assert all(int(counts[by_name[g]]) == n for g, n in unresolved.items())
    assert not set(unresolved) & set(geo.observed["counts"])
    assert "United-States" not in report.to_json() and (DATA / "adult.data").exists()
