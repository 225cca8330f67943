"""Resolve country names, alpha-2 and alpha-3 codes to ISO 3166-1 alpha-3, once per distinct value.

Name matching is country_converter's (a maintained library with a regular expression per country);
datavet adds only what it needs around it:

* country_converter 1.3.2 reads its own data with pandas' default NA list, so under pandas 3 it
  crashes on Namibia's alpha-2 ``NA``; we read the bundled table ourselves with ``NA`` kept as text.
* ``convert`` returns its input when nothing matched, so a result counts only if it is an alpha-3
  code that ISO 3166-1 (pycountry) knows.
* exact codes and names are looked up in a dictionary first; the regular expressions run only for
  the rest, which keeps high-cardinality columns affordable.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any


@functools.cache
def _converter() -> tuple[Any, dict[str, str], dict[str, str]]:
    """(CountryConverter, {exact code or name (upper case): ISO3}, {ISO3: continent}), built once.
    Building the converter compiles its regular expressions (about 0.1 s): only values no exact
    code or name matches need it."""
    import country_converter as coco

    table, exact, continent = _table()
    return coco.CountryConverter(country_data=table), exact, continent


@functools.cache
def _table() -> tuple[Any, dict[str, str], dict[str, str]]:
    """(country_converter's table, {exact code or name (upper case): ISO3}, {ISO3: continent})."""
    import country_converter as coco
    import pandas as pd
    import pycountry

    logging.getLogger("country_converter").setLevel(logging.CRITICAL)
    logging.getLogger("country_converter.country_converter").setLevel(logging.CRITICAL)
    table = pd.read_csv(Path(coco.__file__).with_name("country_data.tsv"), sep="\t", dtype=str,
                        keep_default_na=False, na_values=[""])
    iso3 = {c.alpha_3 for c in pycountry.countries}
    exact: dict[str, str] = {}
    continent: dict[str, str] = {}
    for row in table.itertuples(index=False):  # ~250 rows of reference data, not the dataset
        code = row.ISO3
        if not isinstance(code, str) or code not in iso3:
            continue
        for name in (row.ISO3, row.ISO2, row.name_short, row.name_official):
            if isinstance(name, str) and name:
                exact.setdefault(name.upper(), code)
        if isinstance(row.continent, str):
            continent[code] = row.continent
    return table, exact, continent


def iso3_codes() -> set[str]:
    """Every alpha-3 code datavet accepts as a country."""
    import pycountry

    return {c.alpha_3 for c in pycountry.countries}


def resolve(values: Iterable[str], *, aliases: Mapping[str, str] | None = None,
            us_postal_codes: bool = False) -> dict[str, str | None]:
    """{value: ISO3 or None} for distinct text values (whitespace around them and case are ignored).

    In this order: the spec's ``aliases`` ({value: ISO3}); with ``us_postal_codes``, a US state's
    two-letter code (so CA is California, not Canada); a country's code or name; a built-in place
    (datavet.geo.places: England, Scotland, ... and the US states by name); the convention
    "Historical name (Present-day country)", the country written as a name in the parentheses; last,
    country_converter's regular expressions on the whole value.
    """
    from datavet.geo.places import subdivision_names
    from datavet.geo.places import us_postal_codes as postal

    _, exact, _ = _table()
    valid = iso3_codes()
    alias = {k.strip().upper(): v for k, v in (aliases or {}).items()}
    codes = postal() if us_postal_codes else frozenset()
    out: dict[str, str | None] = {}
    pending: list[str] = []
    for value in dict.fromkeys(values):
        key = value.strip().upper()
        hit = (alias.get(key) or ("USA" if key in codes else None) or exact.get(key)  # ISO 3166-2 read if needed
               or subdivision_names().get(" ".join(key.replace("-", " ").replace("_", " ").split())))  # New-Mexico
        if hit is None and key:
            present = _PRESENT_DAY.match(value.strip())
            if present and any(ch.islower() for ch in present.group(1)):
                inner = present.group(1).strip()
                hit = exact.get(inner.upper()) or _regex([inner], valid)[0]
        if hit is not None:
            out[value] = hit
        elif key:
            pending.append(value)
        else:
            out[value] = None
    if pending:
        out.update(zip(pending, _regex([v.strip() for v in pending], valid), strict=True))
    return out


# "Bohemia (Czechia)": a historical or regional name, a space, then the present-day country written as a
# name (a lower-case letter: "Puerto Rico (US)" and "Virgin Islands (U.S.)" qualify a territory instead;
# Adult's "Outlying-US(Guam-USVI-etc)", without the space, is not this convention).
_PRESENT_DAY = re.compile(r"^[^()]*[^\s()]\s+\(([^()]+)\)$")


def _regex(names: list[str], valid: set[str]) -> list[str | None]:
    found = _converter()[0].convert(names, to="ISO3", not_found=None)
    if isinstance(found, str) or found is None:
        found = [found]
    return [code if isinstance(code, str) and code in valid else None for code in found]


def continent_of(iso3: str) -> str | None:
    """The continent country_converter assigns to a country (its ``continent`` classification)."""
    return _table()[2].get(iso3)
