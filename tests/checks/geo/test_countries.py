"""Country resolution (country_converter under pandas 3) and the shipped world population reference."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from datavet.geo.countries import continent_of, resolve
from datavet.references import named_reference, reference_metadata
from tests.checks.conftest import DATA


def test_names_and_codes_resolve_to_iso3_and_unknowns_do_not():
    got = resolve(["United-States", "NA", "DE", "FRA", "Holand-Netherlands", "South", "Hong", "XX", " Mexico ", ""])
    assert got == {"United-States": "USA", "NA": "NAM", "DE": "DEU", "FRA": "FRA", "Holand-Netherlands": "NLD",
                   "South": None, "Hong": None, "XX": None, " Mexico ": "MEX", "": None}
    assert continent_of("NAM") == "Africa" and continent_of("USA") == "America"


def world_bank_2024() -> pd.Series:
    codes = pd.read_csv(DATA / "country_codes_iso3166.csv", dtype=str, keep_default_na=False)
    iso3 = set(codes["ISO3166-1-Alpha-3"]) - {""}
    wb = pd.read_csv(DATA / "world_population_worldbank.csv", keep_default_na=False)
    wb = wb[(wb["Year"] == 2024) & wb["Country Code"].isin(iso3)]
    return wb.set_index("Country Code")["Value"].astype(float)


def test_world_population_matches_world_bank_2024_for_the_ten_largest_countries():
    population = world_bank_2024()
    shares = population / population.sum()
    ref = named_reference("world_population")
    assert "WLD" not in ref and "XKX" not in ref and "CHI" not in ref and "NAM" in ref
    assert set(ref) == set(population.index)
    for code in shares.nlargest(10).index:
        assert ref[code] == pytest.approx(shares[code], abs=1e-12), code
    assert sum(ref.values()) == pytest.approx(1.0, abs=1e-12)
    meta = reference_metadata("world_population")
    assert (meta["indicator"], meta["year"], meta["licence"]) == ("SP.POP.TOTL", 2024, "ODC-PDDL-1.0")


def test_shipped_json_is_what_the_build_script_writes(tmp_path):
    from datavet.geo.build_world_population import OUT, main

    out = tmp_path / "wp.json"
    main([str(DATA / "world_population_worldbank.csv"), str(DATA / "country_codes_iso3166.csv"), "--out", str(out)])
    assert json.loads(out.read_text()) == json.loads(OUT.read_text())
