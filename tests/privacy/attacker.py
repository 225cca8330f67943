"""An outside reader who wants the cells datavet withheld. Independent of datavet.privacy: it knows only
what metrics.md says the published figures mean, reads the published JSON (``datavet check --json``)
and the DVC metrics, and tries what the issue lists: rate x size, complements of derivable totals,
the same group's rows in other checks (missingness vs parity, representation vs label balance vs
intersections), drift's one-minus-the-others, and finally a linear program over everything it read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import linprog


def _num(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


@dataclass
class Reader:
    k: int
    exact: dict[str, float] = field(default_factory=dict)  # what the reader knows exactly
    small: set[str] = field(default_factory=set)  # shown as "<k"
    big: set[str] = field(default_factory=set)  # shown as "withheld" (so at least k)
    sums: list[tuple[str, list[str], bool]] = field(default_factory=list)  # total, parts, exact (else >=)
    direct: list[str] = field(default_factory=list)  # small cells given back by one figure

    def count(self, name: str, value: Any) -> None:
        if isinstance(value, str) and value.startswith("<"):
            self.small.add(name)
        elif value == "withheld":
            self.big.add(name)
        elif _num(value):
            self.learn(name, float(value))

    def learn(self, name: str, value: float) -> None:
        """A count worked out from a figure (a rate times its size): small ones are given back."""
        self.exact.setdefault(name, value)
        if 0.5 < value < self.k - 0.5 and name in self.small:
            self.direct.append(name)

    def rate(self, num: str, comp: str, den: str, rate: Any, size: Any) -> None:
        """rate = num / den, den = num + comp; rate x size gives num and comp back."""
        self.sums.append((den, [num, comp], True))
        if _num(rate) and _num(size):
            n = round(rate * size)
            for name, v in ((num, n), (comp, size - n)):
                if 0 < v < self.k:  # a small cell nobody shows as such: given back by rate x size
                    self.direct.append(name)
                self.learn(name, v)


def _group(by: Any, g: str) -> str:
    """A group as the intersection check names its cells (``sex=Female&race=Other``)."""
    cols = [by] if isinstance(by, str) else list(by)
    if g == "<missing>":
        return "miss:" + "+".join(cols)
    return "&".join(f"{c}={v}" for c, v in zip(cols, g.split("|") if len(cols) > 1 else [g], strict=False))


def read(doc: dict[str, Any], k: int) -> Reader:
    """Everything the published report says, as counts and sums."""
    r = Reader(k)
    for c in doc["checks"]:
        o, col, check = c["observed"], c.get("column"), c["check"]
        if check == "missingness" and col:
            r.count("N", o.get("rows"))
            r.count(f"miss:{col}", o.get("missing_count"))
            r.sums.append(("N", [f"miss:{col}", f"pres:{col}"], True))
            if _num(o.get("missing_rate")) and _num(o.get("rows")):
                r.learn(f"miss:{col}", round(o["missing_rate"] * o["rows"]))
        elif check in ("representation", "drift") and col and "counts" in o and isinstance(o["counts"], dict):
            r.count(f"pres:{col}", o.get("non_missing"))
            parts = []
            for g, n in o["counts"].items():
                r.count(f"{col}={g}", n)
                parts.append(f"{col}={g}")
                share = (o.get("shares") or {}).get(g)
                if _num(share) and share > 0 and _num(n):
                    r.learn(f"pres:{col}", round(n / share))
                if _num(share) and _num(o.get("non_missing")):
                    r.learn(f"{col}={g}", round(share * o["non_missing"]))
            r.sums.append((f"pres:{col}", parts, True))
            prev = o.get("previous_counts")
            if isinstance(prev, dict):
                for g, n in prev.items():
                    r.count(f"prev:{col}={g}", n)
                r.count(f"prev:pres:{col}", o.get("previous_non_missing"))
                r.sums.append((f"prev:pres:{col}", [f"prev:{col}={g}" for g in prev], True))
                for g, s in (o.get("previous_shares") or {}).items():
                    change, now = (o.get("share_changes") or {}).get(g), (o.get("shares") or {}).get(g)
                    if s is None and _num(change) and _num(now):
                        s = now - change  # the change gives the earlier share back
                    if _num(s) and _num(o.get("previous_non_missing")):
                        r.learn(f"prev:{col}={g}", round(s * o["previous_non_missing"]))
        elif check == "geography" and col:
            res = f"geo:{col}"
            parts = []
            for g, n in (o.get("counts") or {}).items():
                r.count(f"{col}@{g}", n)
                parts.append(f"{col}@{g}")
                share = (o.get("shares") or {}).get(g)
                if _num(share) and share > 0 and _num(n):
                    r.learn(res, round(n / share))
            r.sums.append((res, parts, True))
            loose = [f"{col}={v}" for v in (o.get("unresolved_values") or {})]
            for v, n in (o.get("unresolved_values") or {}).items():
                r.count(f"{col}={v}", n)
            r.count(f"pres:{col}", o.get("non_missing"))
            r.sums.append((f"pres:{col}", [res, *loose, f"rest:{col}"], True))
            if _num(o.get("resolved_share")) and _num(o.get("non_missing")):
                r.learn(res, round(o["resolved_share"] * o["non_missing"]))
        elif check == "drift" and col and c.get("by"):
            for prefix, rows_key, rates_key in (("", "rows", "positive_rates"),
                                                ("prev:", "previous_rows", "previous_positive_rates")):
                for g, n in (o.get(rows_key) or {}).items():
                    grp = _group(c["by"], g)
                    lab, pos, neg = (f"{prefix}lab:{col}|{grp}", f"{prefix}pos:{col}|{grp}",
                                     f"{prefix}neg:{col}|{grp}")
                    r.count(lab, n)
                    rate = (o.get(rates_key) or {}).get(g)
                    change = (o.get("rate_changes") or {}).get(g)
                    if rate is None and prefix and _num(change) and _num((o.get("positive_rates") or {}).get(g)):
                        rate = o["positive_rates"][g] - change  # the change gives the earlier rate back
                    r.rate(pos, neg, lab, rate, n)
        elif check == "label_balance" and col and c.get("by"):
            for g, n in (o.get("rows") or {}).items():
                grp = _group(c["by"], g)
                lab, pos, neg = f"lab:{col}|{grp}", f"pos:{col}|{grp}", f"neg:{col}|{grp}"
                r.count(lab, n)
                r.rate(pos, neg, lab, (o.get("positive_rates") or {}).get(g), n)
                r.sums.append((grp, [lab, f"nolab:{col}|{grp}"], True))
        elif check == "missingness_parity" and col and c.get("by"):
            parts = []
            for g, n in (o.get("group_rows") or {}).items():
                grp = _group(c["by"], g)
                r.count(grp, n)
                m = f"miss:{col}|{grp}"
                r.rate(m, f"pres:{col}|{grp}", grp, (o.get("group_missing_rate") or {}).get(g), n)
                parts.append(m)
            r.sums.append((f"miss:{col}", parts, True))
        elif check == "intersectional":
            cols = c.get("columns") or []
            for key, n in (o.get("cell_counts") or {}).items():
                parts = key.split("|")
                r.count("&".join(f"{a}={v}" for a, v in zip(cols, parts, strict=False)), n)
            if len(cols) == 2:
                a, b = cols
                groups_a = {key.split("|")[0] for key in o.get("cell_counts") or {}}
                for g in groups_a:
                    inner = [f"{a}={g}&{b}={key.split('|')[1]}" for key in o["cell_counts"] if key.split("|")[0] == g]
                    r.sums.append((f"{a}={g}", [*inner, f"{a}={g}&{b}:other"], True))
    return r


def lp_ranges(r: Reader) -> dict[str, tuple[float, float, float, float]]:
    """For every cell shown as "<k": (min, max) over everything read, and (min, max) from the "<k"
    labels and the sums alone; a narrower first pair is a cell recovered (pinned or narrowed)."""
    names = sorted({n for t, ps, _ in r.sums for n in (t, *ps)} | r.small | r.big | set(r.exact))
    index = {n: i for i, n in enumerate(names)}
    rows = []
    for total, parts, _ in r.sums:
        row = np.zeros(len(names))
        row[index[total]] += 1
        for p in parts:
            row[index[p]] -= 1
        rows.append(row)
    a_eq = np.array(rows) if rows else None
    b_eq = np.zeros(len(rows)) if rows else None

    def bounds(known: bool) -> list[tuple[float, float | None]]:
        out: list[tuple[float, float | None]] = []
        for n in names:
            if n in r.small:
                out.append((1, r.k - 1))
            elif n in r.big:
                out.append((r.k, None))
            elif known and n in r.exact:
                out.append((r.exact[n], r.exact[n]))
            else:
                out.append((0, None))
        return out

    result = {}
    full, alone = bounds(True), bounds(False)
    for n in sorted(r.small):
        got = []
        for b in (full, alone):
            for sign in (1, -1):
                c = np.zeros(len(names))
                c[index[n]] = sign
                res = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=b, method="highs")
                got.append(sign * res.fun if res.status == 0 else (float("nan")))
        result[n] = tuple(got)
    return result


def recovered(doc: dict[str, Any], k: int) -> list[str]:
    """The withheld cells this reader recovers: given back by one figure, or narrowed by the LP."""
    r = read(doc, k)
    out = [f"{n} (direct)" for n in r.direct]
    for n, (lo, hi, lo_alone, hi_alone) in lp_ranges(r).items():
        if np.isnan(lo) or lo > lo_alone + 1e-6 or hi < hi_alone - 1e-6:
            out.append(f"{n} in [{lo:g}, {hi:g}] (alone [{lo_alone:g}, {hi_alone:g}])")
    return out
