"""Places people write instead of their country: the UK's constituent countries and the US states.

Built from ISO 3166-2 (pycountry), not typed in: the subdivisions of GB whose type is Country or
Province (England, Scotland, Wales, Northern Ireland) and of US whose type is State or District (the
50 states and DC; the outlying areas such as Puerto Rico are countries of their own in ISO 3166-1).
A country's own name always wins over a subdivision's: Georgia is the country (GEO) unless a
spec's ``aliases`` says otherwise.
"""

from __future__ import annotations

import functools

_TYPES = {"GB": ("Country", "Province"), "US": ("State", "District")}
_ISO3 = {"GB": "GBR", "US": "USA"}


def _plain_name(name: str) -> str:
    """ISO 3166-2 appends other-language names in brackets ("Wales [Cymru GB-CYM]")."""
    return name.split(" [", 1)[0].strip()


@functools.cache
def subdivision_names() -> dict[str, str]:
    """{NAME (upper case): ISO3 of its country} for the built-in places."""
    import pycountry

    out: dict[str, str] = {}
    for country, types in _TYPES.items():
        for sub in pycountry.subdivisions.get(country_code=country):
            if sub.type in types:
                out[_plain_name(sub.name).upper()] = _ISO3[country]
    return out


@functools.cache
def us_postal_codes() -> frozenset[str]:
    """The two-letter USPS codes of the 50 states and DC (ISO 3166-2 US-XX uses the same letters)."""
    import pycountry

    return frozenset(sub.code.split("-", 1)[1] for sub in pycountry.subdivisions.get(country_code="US")
                     if sub.type in _TYPES["US"])
