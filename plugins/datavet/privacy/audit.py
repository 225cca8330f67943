"""The audit before anything is published: how narrowly can a reader pin a withheld cell?

A linear program over the count cells (no rows): every relation of :meth:`Tables.closure` holds,
every published cell is fixed at its value, a cell shown as "<k" lies in 1..k-1, a complementary
cell (a count of at least k shown as "withheld") is at least k, any other cell is at least 0.
Integrality is relaxed, which only widens what the reader can conclude, so the audit errs on the
safe side. For each small cell, HiGHS minimises and maximises it; the cell is safe when the whole of
1..k-1 stays feasible, or as much of it as the withheld labels alone allow (a cell holding two
small cells is at least 2 whatever else is published).

Each program is only the part of the system that can move the cell: the cells a reader does not
know exactly that are linked to it through relations, with every published cell in those relations
as a constant. Cells beyond a published one cannot change its bounds, so the answer is the same as
the whole system's; the programs stay the size of one table's neighbourhood, not of the report.

Most programs need not be solved: every solved program leaves a table that satisfies everything a
reader knew then (its optimal point). When such a table still satisfies every relation and bound of a
later program, and already puts the cell at 1 (or at k-1), the minimum is at most 1 (the maximum at
least k-1) and that side needs no solve; only sides no known table reaches are solved. The verdicts,
and so every suppression decision, are those of the solved programs.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from datavet.privacy.tables import Key

PRIMARY, COMPLEMENTARY = "primary", "complementary"
_EPS = 1e-6
_TOL = 1e-7  # HiGHS's primal feasibility tolerance: a known table must satisfy a program within it


class Audit:
    """The linear program of one report; ``bounds`` answers for one withheld cell."""

    def __init__(self, keys: Iterable[Key], relations: list[tuple[Key, tuple[Key, ...]]], threshold: int) -> None:
        from scipy.sparse import csr_matrix

        self.keys = sorted(set(keys))
        self.index = {k: i for i, k in enumerate(self.keys)}
        self.threshold = threshold
        # programs answered (solved, or settled by a known table): what a decision cost, the unit
        # datavet.privacy.publish bounds it in; counted alike either way, so no decision depends on it
        self.calls = 0
        self.solved = 0  # of them, solved by HiGHS
        rows, cols, data = [], [], []
        for r, (total, parts) in enumerate(relations):
            coef: dict[int, float] = {self.index[total]: 1.0}
            for p in parts:
                coef[self.index[p]] = coef.get(self.index[p], 0.0) - 1.0
            for c, v in coef.items():
                rows.append(r)
                cols.append(c)
                data.append(v)
        self.a_eq = csr_matrix((data, (rows, cols)), shape=(max(len(relations), 1), len(self.keys)))
        # each (relation, cell) pair, for the part of the system one cell's bounds depend on
        self._rows, self._cols = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
        self._alone: dict[Key, tuple[float, float]] = {}
        self._programs: dict[tuple[bytes, bytes], _Program] = {}  # one per part of the system, kept warm
        self._tables = _Tables(len(self.keys))
        self.neighbours: dict[Key, set[Key]] = {}
        for total, parts in relations:
            for k in (total, *parts):
                self.neighbours.setdefault(k, set()).update((total, *parts))

    def _bounds(self, published: dict[Key, int], withheld: dict[Key, str]) -> tuple[np.ndarray, np.ndarray]:
        """Each cell's (lower, upper) bounds as a reader knows them: withheld, published or unknown."""
        k = self.threshold
        lower, upper = np.zeros(len(self.keys)), np.full(len(self.keys), np.inf)
        for key, value in published.items():
            i = self.index.get(key)
            if i is not None:
                lower[i] = upper[i] = float(value)
        for key, why in withheld.items():  # a withheld label wins over a value (never both, but fail safe)
            i = self.index.get(key)
            if i is not None:
                lower[i], upper[i] = (1.0, float(k - 1)) if why == PRIMARY else (float(k), np.inf)
        return lower, upper

    def _linked(self, start: int, free: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The free cells linked to ``start`` through relations (free cells in a relation link each
        other; a fixed one does not pass the link on), and the relations that hold any of them: one
        connected component of the graph of relations and their free cells."""
        from scipy.sparse import csr_matrix
        from scipy.sparse.csgraph import connected_components

        n_rows, n_cells = self.a_eq.shape
        keep = free[self._cols]
        graph = csr_matrix((np.ones(int(keep.sum())), (self._rows[keep], n_rows + self._cols[keep])),
                           shape=(n_rows + n_cells, n_rows + n_cells))
        _, labels = connected_components(graph, directed=False)
        mine = labels == labels[n_rows + start]
        return np.flatnonzero(mine[n_rows:]), np.flatnonzero(mine[:n_rows])

    def bounds(self, key: Key, published: dict[Key, int], withheld: dict[Key, str],
               enough: tuple[float, float] | None = None) -> tuple[float, float] | None:
        """(min, max) of ``key`` over everything a reader knows; None when nothing is consistent
        (the declarations contradict the data: a bug, and the caller fails closed). With ``enough``
        (lo, hi), a side some known table already reaches (the cell at most lo, at least hi) is
        answered as lo (hi) without solving: all the caller asks is whether the bound gets there."""
        lower, upper = self._bounds(published, withheld)
        free = lower < upper
        at_key = self.index[key]
        free[at_key] = True
        cells, rows = self._linked(at_key, free)
        part = self.a_eq[rows] if len(rows) else None
        b_eq = None if part is None else -(part @ np.where(free, 0.0, lower))
        reached = (False, False) if enough is None else self._tables.reach(at_key, enough, cells, part, lower,
                                                                             upper, b_eq)
        at = int(np.searchsorted(cells, at_key))
        out = []
        for side, sign in enumerate((1.0, -1.0)):
            self.calls += 1
            if reached[side]:
                out.append(enough[side])
                continue
            program = self._programs.get((cells.tobytes(), rows.tobytes()))
            if program is None:
                program = self._programs[(cells.tobytes(), rows.tobytes())] = _Program(
                    part[:, cells] if part is not None else None)
            self.solved += 1
            value = program.solve(at, sign, lower[cells], upper[cells], b_eq)
            if value is None:
                return None
            if program.point is not None:
                self._tables.add(cells, program.point, np.where(free, np.nan, lower))
            out.append(value)
        return out[0], out[1]

    def pinned(self, key: Key, published: dict[Key, int], withheld: dict[Key, str]) -> bool:
        """Whether a reader can narrow the small cell ``key`` beyond what the withheld labels alone say:
        1..k-1, or less when the cell holds other small cells (two "<k" parts make at least 2)."""
        # a primary cell lies in 1..k-1: a side that reaches 1 (k-1) is as wide as the label allows
        primary = withheld.get(key) == PRIMARY
        widest = (1.0, float(self.threshold - 1)) if primary else None
        b = self.bounds(key, published, withheld, widest)
        if b is None:
            return True
        if primary and b[0] <= 1.0 + _EPS and b[1] >= self.threshold - 1 - _EPS:
            return False  # all of 1..k-1: what the label alone says, the widest a reader can be left with
        if key not in self._alone:  # more withheld cells only widen it: the first answer is the safe one
            self._alone[key] = self.bounds(key, {}, withheld, widest) or (1.0, float(self.threshold - 1))
        alone = self._alone[key]
        return b[0] > alone[0] + _EPS or b[1] < alone[1] - _EPS

    def reachable(self, key: Key, published: dict[Key, int], eligible: set[Key]) -> list[list[Key]]:
        """The ``eligible`` published cells that share a relation with ``key``, directly or through cells
        a reader does not know exactly, nearest first (one list per distance): the candidates for
        complementary suppression."""
        seen, frontier, levels = {key}, [key], []
        while frontier:
            nxt, found = [], []
            for k in frontier:
                for n in sorted(self.neighbours.get(k, ())):
                    if n in seen:
                        continue
                    seen.add(n)
                    if n in eligible:
                        found.append(n)
                    elif n not in published:
                        nxt.append(n)
            if found:
                levels.append(found)
            frontier = nxt
        return levels


class _Program:
    """One part of the system as a HiGHS model kept between solves: the next cell's program differs
    only in its objective and bounds, so HiGHS starts from the last optimal basis instead of from
    scratch (about three times faster on a report's few hundred programs). When only the objective
    changed (a cell's max after its min), the last basis is still feasible and the primal simplex
    goes on from it; otherwise the dual simplex (the 1,000-row benchmark's programs: 0.5 s -> 0.28 s,
    the same optima). An answer HiGHS does not settle (infeasible or unbounded undecided) is asked
    again of a cold solve."""

    def __init__(self, a_eq) -> None:
        import highspy

        self._highs = highspy.Highs()
        self._highs.setOptionValue("output_flag", False)
        self._a_eq = a_eq
        self._n = 0 if a_eq is None else a_eq.shape[1]
        self._ready = False
        self._last: tuple[np.ndarray, np.ndarray, np.ndarray | None] | None = None  # the last bounds
        self.point: np.ndarray | None = None  # the last optimal solution: a table consistent with the program

    def solve(self, at: int, sign: float, lower: np.ndarray, upper: np.ndarray, b_eq: np.ndarray | None
              ) -> float | None:
        """The least value of ``sign`` times the cell ``at``, times ``sign``: its min (1) or max (-1);
        -inf/inf when unbounded that way, None when infeasible."""
        import highspy

        n = len(lower)
        cost = np.zeros(n)
        cost[at] = sign
        up = np.where(np.isinf(upper), highspy.kHighsInf, upper)
        h = self._highs
        same = self._last is not None and np.array_equal(self._last[0], lower) and np.array_equal(
            self._last[1], up) and (b_eq is None or np.array_equal(self._last[2], b_eq))
        h.setOptionValue("simplex_strategy", 4 if same else 1)  # HiGHS: 4 primal, 1 dual
        self._last = (lower, up, b_eq)
        if not self._ready:
            lp = highspy.HighsLp()
            lp.num_col_, lp.col_cost_, lp.col_lower_, lp.col_upper_ = n, cost, lower, up
            if self._a_eq is not None:
                csc = self._a_eq.tocsc()
                lp.num_row_, lp.row_lower_, lp.row_upper_ = csc.shape[0], b_eq, b_eq
                lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
                lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = csc.indptr, csc.indices, csc.data
            h.passModel(lp)
            self._ready = True
        else:
            columns = np.arange(n, dtype=np.int32)
            h.changeColsCost(n, columns, cost)
            h.changeColsBounds(n, columns, lower, up)
            if b_eq is not None:
                h.changeRowsBounds(len(b_eq), np.arange(len(b_eq), dtype=np.int32), b_eq, b_eq)
        h.run()
        status = h.getModelStatus()
        self.point = None
        if status == highspy.HighsModelStatus.kOptimal:
            self.point = np.asarray(h.getSolution().col_value)
            return sign * h.getInfo().objective_function_value
        if status == highspy.HighsModelStatus.kUnbounded:
            return float("-inf") if sign > 0 else float("inf")
        if status == highspy.HighsModelStatus.kInfeasible:
            return None
        return _cold(cost, self._a_eq, b_eq, np.column_stack([lower, upper]), sign)


class _Tables:
    """Tables found by solved programs (each cell's count, NaN where that program did not say), the
    most recent ``CAP`` kept: a later program that one of them satisfies has it as a feasible point."""

    CAP = 128

    def __init__(self, n: int) -> None:
        self._store = np.full((self.CAP, n), np.nan)
        self._added = 0
        self._n = n

    @property
    def _points(self) -> np.ndarray:
        return self._store[:min(self._added, self.CAP)]

    def add(self, cells: np.ndarray, values: np.ndarray, fixed: np.ndarray) -> None:
        """A solution on ``cells``, the other cells at their ``fixed`` values (NaN: not fixed then)."""
        row = self._store[self._added % self.CAP]
        row[:] = fixed
        row[cells] = values
        self._added += 1

    def reach(self, at: int, enough: tuple[float, float], cells: np.ndarray, part, lower: np.ndarray,
              upper: np.ndarray, b_eq: np.ndarray | None) -> tuple[bool, bool]:
        """Whether a known table satisfying this program (its relations ``part`` = ``b_eq`` over
        ``cells``, their bounds) puts cell ``at`` at most ``enough[0]``, and whether one puts it at
        least ``enough[1]``. Checked within the solver's tolerances, relation by relation."""
        column = self._points[:, at]
        low, high = column <= enough[0] + _EPS, column >= enough[1] - _EPS
        candidates = self._points[low | high]
        if not len(candidates):
            return False, False
        values = candidates[:, cells]
        ok = ~np.isnan(values).any(axis=1)
        ok &= ((values >= lower[cells] - _TOL * np.maximum(1.0, np.abs(lower[cells])))
               & (values <= upper[cells] + _TOL * np.maximum(1.0, np.abs(upper[cells])))).all(axis=1)
        if part is not None and ok.any():
            full = np.zeros((int(ok.sum()), self._n))
            full[:, cells] = values[ok]
            residual = np.abs(part @ full.T - b_eq[:, None])
            ok[np.flatnonzero(ok)] = (residual <= _TOL * np.maximum(1.0, np.abs(b_eq))[:, None]).all(axis=0)
        return bool((ok & low[low | high]).any()), bool((ok & high[low | high]).any())


def _cold(cost: np.ndarray, a_eq, b_eq, bounds: np.ndarray, sign: float) -> float | None:
    """The same program solved from scratch (scipy's HiGHS with presolve), for answers a warm solve
    left undecided."""
    from scipy.optimize import linprog

    res = linprog(cost, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
    if res.status == 3:
        return float("-inf") if sign > 0 else float("inf")
    return sign * res.fun if res.status == 0 else None
