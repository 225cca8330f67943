"""Comparing observed group shares with a reference distribution (shared by representation and
geography): reference shares, ratios, total variation distance, chi-square goodness of fit."""

from __future__ import annotations

import math
from collections.abc import Mapping

from datavet.figures.outcome import Outcome, ratio


def normalise(reference: Mapping[str, float]) -> dict[str, float]:
    total = float(sum(reference.values()))
    return {str(g): float(v) / total for g, v in reference.items()}


def shares_of(counts: Mapping[str, int]) -> dict[str, float | None]:
    total = sum(counts.values())
    return {g: ratio(n, total) for g, n in counts.items()}


def compare(out: Outcome, counts: Mapping[str, int], reference: Mapping[str, float]) -> None:
    """Add reference_shares, ratios, tvd, absent_groups, unexpected_groups to ``out.observed``."""
    ref = normalise(reference)
    total = sum(counts.values())
    share = {g: (n / total if total else 0.0) for g, n in counts.items()}
    ratios: dict[str, float | None] = {}
    for g, r in ref.items():
        ratios[g] = ratio(share.get(g, 0.0), r)
    zero_ref = sorted(g for g, r in ref.items() if r == 0)
    if zero_ref:
        out.notes.append(f"ratios of {len(zero_ref)} reference group(s) with share 0 are null")
    out.observed["reference_shares"] = dict(sorted(ref.items()))
    out.observed["ratios"] = dict(sorted(ratios.items()))
    if total:
        union = set(ref) | set(share)
        out.observed["tvd"] = 0.5 * math.fsum(abs(share.get(g, 0.0) - ref.get(g, 0.0)) for g in union)
    else:
        out.observed["tvd"] = None
        out.notes.append("tvd is null: no non-missing rows to compare with the reference")
        out.observed["ratios"] = dict.fromkeys(sorted(ref))
        out.notes.append("ratios are null: no non-missing rows")
    out.observed["absent_groups"] = sorted(g for g in ref if counts.get(g, 0) == 0)
    out.observed["unexpected_groups"] = sorted(g for g in counts if g not in ref)


def chi2_pvalue(out: Outcome, counts: Mapping[str, int], reference: Mapping[str, float]) -> float | None:
    """Pearson goodness of fit of the counts of the reference groups against the reference
    (scipy.stats.chisquare), or None with the reason in a note."""
    ref = normalise(reference)
    groups = sorted(ref)
    observed = [counts.get(g, 0) for g in groups]
    n = sum(observed)
    if any(ref[g] == 0 for g in groups):
        out.notes.append("chi2_pvalue is null: a reference share is 0")
        return None
    if n == 0:
        out.notes.append("chi2_pvalue is null: no rows fall in the reference groups")
        return None
    if len(groups) < 2:
        out.notes.append("chi2_pvalue is null: the reference has a single group")
        return None
    from scipy.stats import chisquare

    expected = [ref[g] * n for g in groups]
    # the expected counts are rescaled so their sum matches exactly (scipy checks it to 1e-8)
    scale = n / math.fsum(expected)
    p = float(chisquare(observed, [e * scale for e in expected]).pvalue)
    return p if math.isfinite(p) else None
