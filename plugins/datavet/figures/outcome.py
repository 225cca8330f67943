"""What a figure function returns, and the wording of a violated limit.

Every check is a pure function from count tables to an ``Outcome``: the figures (under metrics.md
names), each violated limit as a sentence, and why any figure is undefined. An undefined figure
that a limit needs makes the check fail: a limit that cannot be verified is not met.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Outcome:
    observed: dict[str, Any]
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def success(self) -> bool:
        return not self.failures

    def as_result(self) -> dict[str, Any]:
        """The JSON-able ``result`` of a GX expectation (and the report's observed/failures/notes)."""
        return {"observed_value": self.observed, "details": {"failures": self.failures, "notes": self.notes}}


MAX_LISTED_FAILURES = 20


def fmt(value: Any) -> str:
    """Numbers as people read them in a failure message (3 significant digits, ints exact)."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value == 0 or 1e-3 <= abs(value) < 1e6:
            return f"{value:.3g}" if abs(value) < 1 else f"{value:.4g}"
        return f"{value:.3e}"
    return str(value)


def ratio(num: float, den: float) -> float | None:
    """num/den, or None when undefined (the caller says why in a note)."""
    if den == 0:
        return None
    out = num / den
    return out if math.isfinite(out) else None


def check_min(out: Outcome, name: str, value: float | None, limit_name: str, limit: float | None,
              why_undefined: str = "") -> None:
    if limit is None:
        return
    if value is None:
        out.failures.append(f"{name} is undefined{why_undefined}; {limit_name} {fmt(limit)} cannot be verified")
    elif value < limit:
        out.failures.append(f"{name} = {fmt(value)} < {limit_name} {fmt(limit)}")


def check_max(out: Outcome, name: str, value: float | None, limit_name: str, limit: float | None,
              why_undefined: str = "") -> None:
    if limit is None:
        return
    if value is None:
        out.failures.append(f"{name} is undefined{why_undefined}; {limit_name} {fmt(limit)} cannot be verified")
    elif value > limit:
        out.failures.append(f"{name} = {fmt(value)} > {limit_name} {fmt(limit)}")


def cap_failures(failures: list[str]) -> list[str]:
    """Keep messages readable with 100k groups: list the first ones and count the rest."""
    if len(failures) <= MAX_LISTED_FAILURES:
        return failures
    extra = len(failures) - MAX_LISTED_FAILURES
    return failures[:MAX_LISTED_FAILURES] + [f"... and {extra} more"]
