"""Uncertainty of shares and rates: Wilson score intervals, and the intervals of the figures built from
them (docs/checks.md, "Uncertainty").

A small group passes or fails on noise when a limit is compared with its point estimate. With
``confidence`` a check reports, next to every share or rate, the Wilson score interval at that
confidence; with ``decide_on: interval`` a limit fails only when the whole interval is on the wrong
side of it. ``decide_on: point`` (the default) decides as before.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Annotated, Literal

from pydantic import Field, model_validator

from datavet.checks.limits import SplitScoped

Confidence = Annotated[float, Field(gt=0.0, lt=1.0)]
Interval = list[float]  # [low, high], JSON-able


class Uncertain(SplitScoped):
    """The spec keys every check with intervals shares."""

    confidence: Confidence | None = Field(
        default=None, description="Report a Wilson score interval at this confidence (e.g. 0.95) for every "
                                  "share or rate.")
    decide_on: Literal["point", "interval"] = Field(
        default="point", description="point: limits compare the point estimate (as without confidence); "
                                     "interval: a limit fails only when the whole interval violates it.")

    @model_validator(mode="after")
    def _interval_needs_confidence(self) -> Uncertain:
        if self.decide_on == "interval" and self.confidence is None:
            raise ValueError("decide_on: interval needs a confidence (e.g. confidence: 0.95)")
        return self


def z_of(confidence: float) -> float:
    """The two-sided standard normal quantile of ``confidence`` (1.959963984540054 for 0.95)."""
    from scipy.stats import norm

    return float(norm.ppf(0.5 + confidence / 2))


def wilson(k: int, n: int, confidence: float) -> Interval | None:
    """Wilson's (1927) score interval of a proportion k/n, without continuity correction; None for n = 0."""
    if n <= 0:
        return None
    z = z_of(confidence)
    p, z2 = k / n, z * z
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    return [0.0 if k == 0 else max(0.0, centre - half), 1.0 if k == n else min(1.0, centre + half)]


def scaled(interval: Interval | None, by: float) -> Interval | None:
    """An interval divided by a positive constant (a share over its reference share)."""
    if interval is None or by <= 0:
        return None
    return [interval[0] / by, interval[1] / by]


def ratio_interval(intervals: Iterable[Interval]) -> Interval | None:
    """The range of min(rate) / max(rate) while every rate stays within its own interval:
    [min(low) / max(high), min(1, min(high) / max(low))]; the upper end is 1 when the intervals
    overlap (all rates could be equal). None without intervals, or when every high is 0."""
    boxes = list(intervals)
    if not boxes:
        return None
    lows, highs = [b[0] for b in boxes], [b[1] for b in boxes]
    if max(highs) <= 0:
        return None
    upper = 1.0 if min(highs) >= max(lows) else min(highs) / max(lows)
    return [min(lows) / max(highs), upper]


def difference_interval(intervals: Iterable[Interval]) -> Interval | None:
    """The range of max(rate) - min(rate) while every rate stays within its own interval:
    [max(0, max(low) - min(high)), max(high) - min(low)]."""
    boxes = list(intervals)
    if not boxes:
        return None
    lows, highs = [b[0] for b in boxes], [b[1] for b in boxes]
    return [max(0.0, max(lows) - min(highs)), max(highs) - min(lows)]


def uncertainty_kwargs(entry: Uncertain) -> dict[str, object]:
    """The expectation kwargs of a spec entry's uncertainty keys (none without ``confidence``, so a
    suite without them is what it always was)."""
    if entry.confidence is None:
        return {}
    return {"confidence": entry.confidence, "decide_on": entry.decide_on}
