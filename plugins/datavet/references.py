"""Reference distributions a check compares the data with: inline, from a CSV, or by name.

A reference is resolved to ``{group: share}`` summing to 1. Named references ship with the package
(``world_population``: World Bank SP.POP.TOTL shares by ISO 3166-1 alpha-3); nothing outside the
package is read at run time except a CSV the spec names.
"""

from __future__ import annotations

import functools
import json
import math
from pathlib import Path
from typing import Any

from datavet.checks.limits import CsvReference, Reference, SourcedReference
from datavet.errors import BadReferenceError
from datavet.spec import LoadedSpec

DATA = Path(__file__).resolve().parent / "data"
NAMED = {"world_population": DATA / "world_population.json"}


@functools.cache
def named_reference(name: str) -> dict[str, float]:
    """A shipped reference as shares; unknown names list the known ones."""
    path = NAMED.get(name)
    if path is None:
        raise BadReferenceError(f"unknown named reference {name!r}",
                                fix=f"use one of {sorted(NAMED)}, an inline {{group: share}} map, or "
                                    "{csv: path, group: column, value: column}")
    doc = json.loads(path.read_text(encoding="utf-8"))
    return normalised({k: float(v) for k, v in doc["population"].items()}, name)


def reference_metadata(name: str) -> dict[str, Any]:
    """Where a named reference comes from (source, indicator, year, licence) for datasheets."""
    doc = json.loads(NAMED[name].read_text(encoding="utf-8"))
    return {k: v for k, v in doc.items() if k != "population"}


UNSOURCED = "unsourced"


def provenance(ref: Reference | None) -> dict[str, Any] | None:
    """What a reader is told about a reference beside the figures compared with it: ``name``,
    ``source``, ``year``, ``population``, and ``sourced`` (False for inline numbers or a CSV given
    without them: the datasheet flags those as unsourced)."""
    if ref is None:
        return None
    if isinstance(ref, SourcedReference):
        return {"name": ref.name, "source": ref.source, "year": ref.year, "population": ref.population,
                "sourced": True}
    if isinstance(ref, str):
        meta = reference_metadata(ref)
        return {"name": ref, "source": f"{meta['source']} ({meta['indicator']}, {meta['licence']})",
                "year": meta["year"], "population": f"residents of the {meta['countries']} ISO 3166-1 countries "
                                                    "in that table (aggregates removed)", "sourced": True}
    what = f"CSV {ref.csv}" if isinstance(ref, CsvReference) else "inline shares"
    return {"name": what, "source": None, "year": None, "population": None, "sourced": False}


def normalised(values: dict[str, float], what: str) -> dict[str, float]:
    bad = [g for g, v in values.items() if not math.isfinite(v) or v < 0]
    if bad:
        raise BadReferenceError(f"reference {what} has negative or non-finite values for {bad[:5]}",
                                fix="give counts or shares >= 0")
    total = math.fsum(values.values())
    if not values or total <= 0:
        raise BadReferenceError(f"reference {what} is empty or sums to 0", fix="give positive shares")
    return {str(g): v / total for g, v in values.items()}


def resolve_reference(loaded: LoadedSpec, ref: Reference | None, column: str | None = None
                      ) -> dict[str, float] | str | None:
    """What goes into the suite: a named reference stays a name (resolved when the check runs);
    inline maps and CSV files become a normalised inline map, so the suite is self-contained.
    Errors name the dataset (and ``column``, the check's column, when given)."""
    if ref is None:
        return None
    try:
        if isinstance(ref, str):
            named_reference(ref)  # fail now, at suite generation, on an unknown name
            return ref
        if isinstance(ref, SourcedReference):  # the suite keeps the shares; provenance is the datasheet's
            return resolve_reference(loaded, ref.csv or ref.shares, column)
        if isinstance(ref, CsvReference):
            return _from_csv(loaded, ref)
        return normalised({str(k): float(v) for k, v in ref.items()}, "(inline)")
    except BadReferenceError as exc:
        if exc.dataset and (exc.column or not column):
            raise
        message = str(exc).split(": ", 1)[1] if exc.dataset else str(exc)
        message = message.rsplit(" Fix: ", 1)[0]
        raise BadReferenceError(message, dataset=loaded.spec.name, column=column, fix=exc.fix) from None


def check_references(loaded: LoadedSpec) -> None:
    """Resolve every reference the spec names, before any check runs: an unknown name, a missing or
    malformed CSV or shares summing to 0 fail here, naming the dataset and the check's column."""
    from datavet.checks.registry import CHECKS

    for check in CHECKS.values():
        for column, reference in check.references(loaded.spec.checks):
            resolve_reference(loaded, reference, column=column)


def reference_shares(ref: dict[str, float] | str | None) -> dict[str, float] | None:
    """A suite's reference value as shares."""
    if ref is None:
        return None
    if isinstance(ref, str):
        return named_reference(ref)
    return normalised({str(k): float(v) for k, v in ref.items()}, "(inline)")


def _from_csv(loaded: LoadedSpec, ref: CsvReference) -> dict[str, float]:
    import pandas as pd

    path = loaded.resolve(ref.csv)
    if not path.is_file():
        raise BadReferenceError(f"reference CSV {path} does not exist", dataset=loaded.spec.name,
                                fix="fix reference.csv (relative paths start at the project root)")
    table = pd.read_csv(path, dtype={ref.group: str}, keep_default_na=False, na_values=[""])
    for col in (ref.group, ref.value):
        if col not in table.columns:
            raise BadReferenceError(f"reference CSV {path} has no column {col!r} (columns: "
                                    f"{list(table.columns)})", dataset=loaded.spec.name,
                                    fix="set reference.group / reference.value to its column names")
    values = pd.to_numeric(table[ref.value], errors="coerce")
    if values.isna().any():
        raise BadReferenceError(f"reference CSV {path}: column {ref.value!r} has non-numeric values",
                                dataset=loaded.spec.name, fix="give numbers (counts or shares)")
    if table[ref.group].duplicated().any():
        raise BadReferenceError(f"reference CSV {path}: groups repeat in {ref.group!r}",
                                dataset=loaded.spec.name, fix="give one row per group")
    return normalised(dict(zip(table[ref.group], values.astype(float), strict=True)), f"CSV {path}")
