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
from collections.abc import Iterable
from pathlib import Path
from typing import Any


@functools.cache
def _converter() -> tuple[Any, dict[str, str], dict[str, str]]:
    """(CountryConverter, {exact code or name (upper case): ISO3}, {ISO3: continent}), built once."""
    import country_converter as coco
    import pandas as pd
    import pycountry

    logging.getLogger("country_converter").setLevel(logging.CRITICAL)
    logging.getLogger("country_converter.country_converter").setLevel(logging.CRITICAL)
    table = pd.read_csv(Path(coco.__file__).with_name("country_data.tsv"), sep="\t", dtype=str,
                        keep_default_na=False, na_values=[""])
    converter = coco.CountryConverter(country_data=table)
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
    return converter, exact, continent


def iso3_codes() -> set[str]:
    """Every alpha-3 code datavet accepts as a country."""
    import pycountry

    return {c.alpha_3 for c in pycountry.countries}


def resolve(values: Iterable[str]) -> dict[str, str | None]:
    """{value: ISO3 or None} for distinct text values (whitespace around them is ignored)."""
    converter, exact, _ = _converter()
    valid = iso3_codes()
    out: dict[str, str | None] = {}
    pending: list[str] = []
    for value in dict.fromkeys(values):
        key = value.strip()
        hit = exact.get(key.upper())
        if hit is not None:
            out[value] = hit
        elif key:
            pending.append(value)
        else:
            out[value] = None
    if pending:
        found = converter.convert([v.strip() for v in pending], to="ISO3", not_found=None)
        if isinstance(found, str):
            found = [found]
        for value, code in zip(pending, found, strict=True):
            out[value] = code if isinstance(code, str) and code in valid else None
    return out


def continent_of(iso3: str) -> str | None:
    """The continent country_converter assigns to a country (its ``continent`` classification)."""
    return _converter()[2].get(iso3)
