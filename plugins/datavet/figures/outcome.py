"""What a figure function returns: the figures, each violated limit as data, and why a figure is
undefined.

Every check is a pure function from count tables to an ``Outcome``: the figures (under metrics.md
names), each violated limit as a ``Violation`` (figure, group, observed, operator, limit), and notes.
A violation becomes text only where it is shown: exactly here (``render``) for the exact report, and
with small cells withheld by datavet.privacy for everything published. An undefined figure that a
limit needs makes the check fail: a limit that cannot be verified is not met.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

MAX_LISTED_FAILURES = 20
WITHHELD = "withheld (small cell)"


@dataclass
class Violation:
    """One violated limit. ``count`` marks an observed value that counts rows (the small-cell rule
    applies to it); ``text`` is a finding that is not a single comparison, shown as it is."""

    figure: str = ""
    limit: str = ""
    limit_value: Any = None
    op: str = ""  # "<" (below a minimum) or ">" (above a maximum)
    observed: Any = None  # None: the figure is undefined
    group: str | None = None
    count: bool = False
    why: str = ""  # why an undefined figure is undefined, e.g. " (no rows)"
    suffix: str = ""  # words after the comparison, e.g. " (reference 0.05)"
    text: str = ""
    withheld: bool = False  # published: the observed value would give back a small cell

    @property
    def name(self) -> str:
        return f"{self.figure}[{self.group}]" if self.group is not None else self.figure

    def render(self, shown: str | None = None) -> str:
        """The sentence; a withheld figure (datavet.privacy) is said in words, its limit always as set."""
        if self.text:
            return self.text
        limit = f"{self.limit} {fmt(self.limit_value)}"
        if self.withheld and self.count:  # observed is the published "<threshold"
            side = "below" if self.op == "<" else "above"
            return (f"{self.name}: fewer than {str(self.observed).lstrip('<')} rows (exact count withheld), "
                    f"{side} {limit}{self.suffix}")
        if self.withheld:
            shown = WITHHELD
        if shown is None and self.observed is None:
            return f"{self.name} is undefined{self.why}; {limit} cannot be verified{self.suffix}"
        return f"{self.name} = {shown if shown is not None else fmt(self.observed)} {self.op} {limit}{self.suffix}"

    def as_json(self) -> dict[str, Any]:
        """Unset fields left out; an observed 0 is a value, not unset."""
        return {k: v for k, v in asdict(self).items() if k == "observed" or not (v is None or v == "" or v is False)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Violation:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


@dataclass
class Outcome:
    observed: dict[str, Any]
    violations: list[Violation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def success(self) -> bool:
        return not self.violations

    @property
    def failures(self) -> list[str]:
        """The violations as the exact report words them."""
        return [v.render() for v in self.violations]

    def violate(self, figure: str, observed: Any, op: str, limit: str, limit_value: Any, *, group: Any = None,
                count: bool = False, why: str = "", suffix: str = "") -> None:
        """``why`` explains an undefined figure only: a defined one needs no excuse (and a wrong one misleads)."""
        why = why if observed is None else ""
        self.violations.append(Violation(figure=figure, limit=limit, limit_value=limit_value, op=op,
                                         observed=observed, group=None if group is None else str(group),
                                         count=count, why=why, suffix=suffix))

    def finding(self, text: str) -> None:
        """A violation that is not one comparison (e.g. "3 empty cell(s) ..."), shown as written."""
        self.violations.append(Violation(text=text))

    def cap(self) -> None:
        """Keep messages readable with 100k groups: list the first ones and count the rest."""
        if len(self.violations) > MAX_LISTED_FAILURES:
            extra = len(self.violations) - MAX_LISTED_FAILURES
            self.violations = [*self.violations[:MAX_LISTED_FAILURES], Violation(text=f"... and {extra} more")]

    def as_result(self) -> dict[str, Any]:
        """The JSON-able ``result`` of a GX expectation (and the report's observed/violations/notes)."""
        return {"observed_value": self.observed,
                "details": {"failures": self.failures, "violations": [v.as_json() for v in self.violations],
                            "notes": self.notes}}


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
              why_undefined: str = "", *, group: Any = None, count: bool = False) -> None:
    if limit is not None and (value is None or value < limit):
        out.violate(name, value, "<", limit_name, limit, group=group, count=count,
                    why=why_undefined if value is None else "")


def check_max(out: Outcome, name: str, value: float | None, limit_name: str, limit: float | None,
              why_undefined: str = "", *, group: Any = None, count: bool = False) -> None:
    if limit is not None and (value is None or value > limit):
        out.violate(name, value, ">", limit_name, limit, group=group, count=count,
                    why=why_undefined if value is None else "")
