"""What is withheld from a GX suite validation result before it is stored.

Generated expectations already report opaque group names for private columns. Two things in a GX
result can still carry raw values of a private column, and both are withheld before the result is
stored: a reference map in the expectation's kwargs (its keys are the column's values; the
normalised, renamed shares are in the result's ``reference_shares``), and the value lists GX
attaches to built-in expectations (``partial_unexpected_list`` and the like) added by hand.
The result stays in the project's local GX store (uncommitted) with exact figures; what leaves the
process is the published report (datavet.privacy.publish).
"""

from __future__ import annotations

from typing import Any

from datavet.gx.suite import is_generated

WITHHELD = "<withheld: private column>"


def scrub(results: Any, private: set[str]) -> None:
    """Withhold raw values of private columns from a suite validation result before it is stored."""
    if not private:
        return
    for result in results.results:
        config = result.expectation_config
        kwargs = config.kwargs
        columns = {kwargs.get(k) for k in ("column", "label", "column_A", "column_B")}
        by = kwargs.get("by")
        columns |= set(by if isinstance(by, list) else [by])
        columns |= set(kwargs.get("columns") or []) | set(kwargs.get("column_list") or [])
        touched = {c for c in columns if isinstance(c, str)} & private
        if not touched:
            continue
        if is_generated(config.meta):
            if isinstance(kwargs.get("reference"), dict) and kwargs.get("column") in private:
                observed = (result.result or {}).get("observed_value") or {}
                kwargs["reference"] = observed.get("reference_shares", WITHHELD)
            if isinstance(kwargs.get("previous"), dict):  # a previous version's raw groups (the drift check)
                kwargs["previous"] = WITHHELD
            continue
        for key in ("value_set", "value_pairs_set", "values", "regex", "regex_list", "like_pattern",
                    "like_pattern_list", "value"):
            if key in kwargs:  # keep the type, so GX can still render the expectation
                kwargs[key] = [WITHHELD] if isinstance(kwargs[key], list) else WITHHELD
        if result.result:
            result.result = {k: v for k, v in result.result.items()
                             if isinstance(v, (int, float, bool)) or v is None}

