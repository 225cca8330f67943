"""A reference population carries its provenance (name, source, year, population), shown beside every
chart compared with it, in the card and in Croissant; inline numbers without it are flagged unsourced.
Adult's sex against the US 2019 residents by sex (NSF NCSES table 3341, read with pandas)."""

from __future__ import annotations

import html
import json

import pandas as pd
import pytest

from datavet.datasheet import build_datasheet
from datavet.datasheet.croissant import Distribution, croissant
from datavet.datasheet.render import render_html, render_markdown
from datavet.datasheet.views import charts_for
from datavet.errors import SpecError
from tests.checks.conftest import ADULT_NAMES, DATA, Project, adult_spec

NCSES = DATA / "us_resident_population_by_sex_ethnicity_race_age_2019_ncses3341.csv"
SOURCE = "NSF NCSES, Table 3341 (from U.S. Census Bureau population estimates)"


@pytest.fixture(scope="module")
def sheet(tmp_path_factory):
    root = tmp_path_factory.mktemp("provenance")
    table = pd.read_csv(NCSES)
    number = table[table["row_id"].isin(["r011", "r020"])]  # the "Number" block, not the percentages
    assert number["sex_ethnicity_and_race_full_path"].tolist() == ["Both sexes -> Female", "Both sexes -> Male"]
    counts = pd.DataFrame({"group": ["Female", "Male"], "people": number["field_all_ages"].astype(int).tolist()})
    counts.to_csv(root / "us_sex.csv", index=False)
    spec = adult_spec()
    spec["checks"] = {"representation": [
        {"column": "sex", "max_tvd": 0.5, "reference": {
            "name": "US residents by sex", "source": SOURCE, "year": 2019, "population": "US residents, all ages",
            "csv": {"csv": str(root / "us_sex.csv"), "group": "group", "value": "people"}}},
        {"column": "race", "reference": {"White": 0.601, "Black": 0.125, "Other": 0.274}}]}
    project = Project(root / "project", spec)
    report = project.run("duckdb", store=False)
    return project, build_datasheet(project.loaded, report, project.parquet, data_md5=project.md5), counts


def test_sourced_reference_beside_chart_card_and_croissant(sheet):
    project, sheet, counts = sheet
    raw = pd.read_csv(DATA / "adult.data", header=None, names=ADULT_NAMES, skipinitialspace=True)
    shares = raw["sex"].value_counts(normalize=True)
    ref = counts.set_index("group")["people"] / counts["people"].sum()
    figures = {r.column: r for r in sheet.computed.representation}
    sex, race = figures["sex"], figures["race"]
    charts = {c.title.split(":")[0]: c for c in charts_for(sheet)["representation"]}
    assert sex.tvd == pytest.approx(0.5 * (shares - ref).abs().sum(), abs=1e-12)
    assert {g.group: g.reference_share for g in sex.groups} == pytest.approx(ref.to_dict(), abs=1e-12)
    info = sex.reference
    assert (info.name, info.source, info.year, info.population, info.sourced) == (
        "US residents by sex", SOURCE, 2019, "US residents, all ages", True)
    line = "US residents by sex: US residents, all ages, 2019; source: " + SOURCE
    assert charts["sex"].reference == line
    assert f"Reference population: {line}" in html.unescape(render_html(sheet))
    card = html.unescape(render_markdown(sheet))
    assert f"): Reference population {line}.\n\n| Group |" in card  # the table still starts after a blank line
    doc = croissant(sheet, Distribution(project.parquet, "adult.parquet"))
    assert any(f"reference population {line}" in text for text in doc["rai:dataBiases"])
    # inline numbers are allowed, and flagged
    assert race.reference is not None and not race.reference.sourced
    assert "inline shares, unsourced" in charts["race"].reference
    assert "inline shares, unsourced" in json.dumps(doc["rai:dataBiases"])


def test_named_reference_has_its_provenance():
    from datavet.references import provenance

    info = provenance("world_population")
    assert info["year"] == 2024 and "World Bank" in info["source"] and "215" in info["population"]


@pytest.mark.parametrize("bad", [
    {"name": "x", "source": "y", "year": 2019, "population": "z"},  # no figures
    {"name": "x", "source": "y", "year": 2019, "population": "z", "shares": {"a": 1}, "csv": {"csv": "f.csv"}},
    {"name": "x", "year": 2019, "population": "z", "shares": {"a": 1}},  # no source
])
def test_incomplete_sourced_reference_is_refused(tmp_path, bad):
    spec = adult_spec()
    spec["checks"] = {"representation": [{"column": "sex", "reference": bad}]}
    with pytest.raises(SpecError, match="reference"):
        Project(tmp_path, spec)
