"""Default breakdowns: label balance and missingness parity by every protected attribute and by their
intersection, as warnings without limits, unless the spec lists them or a column opts out
(``breakdown: false``). Figures against pandas on UCI Adult; the spec's own entries are unchanged."""

from __future__ import annotations

import pandas as pd
import pytest

from datavet.datasheet import build_datasheet
from datavet.errors import SpecError
from tests.checks.conftest import ADULT_NAMES, DATA, Project, adult_spec, by_check


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    return pd.read_csv(DATA / "adult.data", header=None, names=ADULT_NAMES, skipinitialspace=True,
                       keep_default_na=False)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    project = Project(tmp_path_factory.mktemp("breakdowns"), adult_spec())  # lists income by sex only
    return project, project.run("duckdb", store=False)


def test_every_protected_attribute_and_their_intersection(run, raw):
    _, report = run
    (listed,) = by_check(report, "label_balance")
    assert (listed.by, listed.severity, listed.breakdown) == ("sex", "warning", False)
    defaults = [r for r in report.checks if r.breakdown and r.check == "label_balance"]
    assert [r.by for r in defaults] == ["race", ["race", "sex"]]
    positive = raw["income"] == ">50K"
    race = positive.groupby(raw["race"]).mean()
    (by_race, by_both) = defaults
    assert by_race.observed["positive_rates"] == pytest.approx(race.to_dict(), abs=1e-12)
    cells = positive.groupby([raw["race"], raw["sex"]]).mean()
    assert by_both.observed["positive_rates"] == pytest.approx({f"{a}|{b}": v for (a, b), v in cells.items()},
                                                               abs=1e-12)
    assert all(r.severity == "warning" and r.success and not r.thresholds for r in defaults)
    # missingness of the spec's parity column (occupation, listed by sex) by race and by race x sex
    parity = [r for r in report.checks if r.breakdown and r.check == "missingness_parity"]
    assert [(r.column, r.by) for r in parity] == [("occupation", "race"), ("occupation", ["race", "sex"])]
    missing = (raw["occupation"] == "?").groupby(raw["race"]).mean()
    assert parity[0].observed["group_missing_rate"] == pytest.approx(missing.to_dict(), abs=1e-12)


def test_the_datasheet_shows_them(run):
    project, report = run
    sheet = build_datasheet(project.loaded, report, project.parquet, data_md5=project.md5)
    assert [b.by for b in sheet.computed.label.balance] == ["sex", "race", "race x sex"]
    assert {(p.column, p.by) for p in sheet.computed.parity} >= {("occupation", "race"),
                                                                 ("occupation", "race x sex")}


def test_opt_out_per_column_and_listed_entries_are_not_repeated(tmp_path):
    spec = adult_spec()
    spec["columns"]["race"]["breakdown"] = False
    report = Project(tmp_path / "a", spec).run("duckdb", store=False)
    assert not [r for r in report.checks if r.breakdown]  # sex is listed; race opted out: nothing to add
    spec = adult_spec()
    spec["checks"]["label_balance"].append({"label": "income", "by": ["sex", "race"]})  # the intersection
    report = Project(tmp_path / "b", spec).run("duckdb", store=False)
    assert [r.by for r in report.checks if r.breakdown and r.check == "label_balance"] == ["race"]
    spec = adult_spec()
    spec["columns"]["age"] = {"breakdown": False}
    with pytest.raises(SpecError, match="breakdown"):
        Project(tmp_path / "c", spec)
