"""What people write instead of an ISO country: a spec's aliases, the UK's constituent countries, US
states by name (and by postal code where the column says so), and "Historical name (Present-day
country)". Tested on the US state table in ../shared/data and on names this project's issue does not list."""

from __future__ import annotations

import pandas as pd
import pytest

from datavet.errors import SpecError
from datavet.geo.countries import iso3_codes, resolve
from tests.checks.conftest import DATA, base_spec, make_loaded

STATES = DATA / "us_state_population_2024_flusight_locations.csv"


def us_states() -> pd.DataFrame:
    """The 50 states and DC: the table's rows other than the US total and Puerto Rico (a country in ISO)."""
    table = pd.read_csv(STATES, dtype=str, keep_default_na=False)
    states = table[~table["abbreviation"].isin(["US", "PR"])]
    assert len(states) == 51
    return states


def test_us_states_by_name_resolve_to_usa_and_the_country_georgia_stays_georgia() -> None:
    names = list(us_states()["location_name"])
    got = resolve(names)
    assert got["Georgia"] == "GEO"  # the country's name wins over the state's
    assert {n: c for n, c in got.items() if n != "Georgia"} == {n: "USA" for n in names if n != "Georgia"}
    assert set(resolve(names, aliases={"georgia": "USA"}).values()) == {"USA"}  # the spec decides


def test_us_postal_codes_only_where_the_column_says_so() -> None:
    codes = list(us_states()["abbreviation"])
    assert set(resolve(codes, us_postal_codes=True).values()) == {"USA"}
    plain = resolve(codes)  # as ISO alpha-2 codes: CA is Canada, DE Germany, IN India ...
    assert (plain["CA"], plain["DE"], plain["IN"]) == ("CAN", "DEU", "IND")


def test_the_uk_constituent_countries_however_written() -> None:
    assert set(resolve(["scotland", " WALES ", "Northern-Ireland", "England"]).values()) == {"GBR"}
    assert resolve(["New-Mexico", "north_dakota"]) == {"New-Mexico": "USA", "north_dakota": "USA"}


@pytest.mark.parametrize(("value", "iso3"), [
    ("Czechoslovakia (Slovakia)", "SVK"), ("Austria-Hungary (Austria)", "AUT"), ("East Germany (Germany)", "DEU"),
    ("Kingdom of Hawaii (United States)", "USA"), ("Tanganyika (Tanzania)", "TZA"), ("Bengal (Bangladesh)", "BGD"),
])
def test_historical_name_then_the_present_day_country(value: str, iso3: str) -> None:
    assert resolve([value]) == {value: iso3}


def test_world_bank_names_resolve_as_before() -> None:
    """The parenthesis rule leaves names such as 'Virgin Islands (U.S.)' or 'Puerto Rico (US)' alone:
    every World Bank country name resolves to the World Bank's own code."""
    wb = pd.read_csv(DATA / "world_population_worldbank.csv", keep_default_na=False)
    names = wb[["Country Name", "Country Code"]].drop_duplicates()
    names = names[names["Country Code"].isin(iso3_codes())]
    assert len(names) == 215
    got = resolve(list(names["Country Name"]))
    assert {n: got[n] for n in names["Country Name"]} == dict(names.itertuples(index=False))


def test_spec_aliases_must_be_iso3_codes(tmp_path) -> None:
    spec = base_spec("states", STATES, columns={"location_name": {"role": "geography"}},
                     aliases={"Georgia": "US"})
    with pytest.raises(SpecError) as err:
        make_loaded(tmp_path, spec)
    assert "aliases" in str(err.value) and "'Georgia': 'US'" in str(err.value)


def test_postal_codes_only_on_a_geography_column(tmp_path) -> None:
    spec = base_spec("states", STATES, columns={"abbreviation": {"postal_codes": "US"}})
    with pytest.raises(SpecError) as err:
        make_loaded(tmp_path, spec)
    assert "columns.abbreviation" in str(err.value) and "role: geography" in str(err.value)
