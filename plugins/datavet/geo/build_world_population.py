"""Build ``datavet/data/world_population.json``: country shares of the world population.

Source: World Bank indicator SP.POP.TOTL (total population), latest year, as published by the
datasets/population repository (ODC-PDDL-1.0). Aggregates (WLD, ARB, EAP, ...) and codes that are
not ISO 3166-1 alpha-3 countries (XKX, CHI) are dropped by keeping only codes listed in the ISO
country-codes table. Run it when a new year is published::

    python -m datavet.geo.build_world_population ../shared/data/world_population_worldbank.csv \
        ../shared/data/country_codes_iso3166.csv

It is the only place that reads those files: at run time the package reads the JSON it writes.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

OUT = Path(__file__).resolve().parents[1] / "data" / "world_population.json"


def iso_alpha3(codes_csv: Path) -> set[str]:
    """Alpha-3 codes of the ISO table (read as text: Namibia's alpha-2 is ``NA``)."""
    table = pd.read_csv(codes_csv, dtype=str, keep_default_na=False)
    return {c for c in table["ISO3166-1-Alpha-3"] if len(c) == 3}


def build(population_csv: Path, codes_csv: Path, year: int | None = None) -> dict:
    data = pd.read_csv(population_csv, dtype={"Country Code": str}, keep_default_na=False)
    countries = data[data["Country Code"].isin(iso_alpha3(codes_csv))]
    year = int(countries["Year"].max()) if year is None else year
    latest = countries[countries["Year"] == year]
    population = {code: int(v) for code, v in zip(latest["Country Code"], latest["Value"], strict=True)}
    total = sum(population.values())
    return {
        "name": "world_population",
        "description": "Population of each ISO 3166-1 country (aggregates removed); datavet uses the shares.",
        "source": "World Bank, World Development Indicators, via github.com/datasets/population",
        "indicator": "SP.POP.TOTL",
        "year": year,
        "licence": "ODC-PDDL-1.0",
        "countries": len(population),
        "total_population": total,
        "population": dict(sorted(population.items())),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("population_csv", type=Path)
    parser.add_argument("codes_csv", type=Path)
    parser.add_argument("--year", type=int, default=None)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    doc = build(args.population_csv, args.codes_csv, args.year)
    args.out.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}: {doc['countries']} countries, {doc['year']}")


if __name__ == "__main__":
    main()
