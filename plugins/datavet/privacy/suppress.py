"""Which cells are withheld, and why: primary suppression of every small cell, then complementary
suppression until the audit finds no small cell a reader can pin; fails closed otherwise.

Complementary cells are chosen greedily, as the statistical offices' heuristics do: for a small cell
the audit can still narrow, withhold the smallest published cell that shares a relation with it
(directly, or through cells nobody publishes), and audit again. Withholding more only widens what a
reader can conclude, so each cell's repair stays repaired.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from datavet.errors import PrivacyError
from datavet.privacy.audit import COMPLEMENTARY, PRIMARY, Audit
from datavet.privacy.tables import PRESENT, Figure, Key, Tables, describe

MAX_COMPLEMENTARY = 500  # per report: more means the tables cannot be published as declared
TRIES, LEVELS = 3, 3  # candidates tried (smallest first, nearest first) for one that frees the cell alone


@dataclass
class Decision:
    """The cells withheld from a report (``{cell: "primary" | "complementary"}``) and what follows for
    each figure."""

    threshold: int
    withheld: dict[Key, str] = field(default_factory=dict)
    left_out: set[int] = field(default_factory=set)  # results withheld whole (default breakdowns, see publish)
    cost: int = 0  # linear programs the audit answered (solved, or settled by a table found before)

    def hides(self, figure: Figure) -> str | None:
        """Why ``figure`` is withheld (primary wins over complementary), None when it is published."""
        reasons = {self.withheld[k] for k in figure.cells if k in self.withheld}
        return PRIMARY if PRIMARY in reasons else (COMPLEMENTARY if reasons else None)


def published_cells(tables: Tables, withheld: dict[Key, str]) -> dict[Key, int]:
    """The cells a reader learns exactly: those of a figure none of whose cells is withheld."""
    out: dict[Key, int] = dict(tables.always)
    for f in tables.figures:
        if any(k in withheld for k in f.cells):
            continue
        for k in f.cells:
            if k in tables.values:
                out[k] = tables.values[k]
    return out


def _bundle(cell: Key, eligible: set[Key]) -> list[Key]:
    """``cell`` and the published cells of the same group in other tables: its refinements (e.g. the
    group's rows with a label) and the group itself when ``cell`` is its rows where a column is present:
    withholding a group's count in one table while another table gives it back protects nothing."""
    own = set(cell)
    coarser = {cell[:i] + cell[i + 1:] for i, (_, v) in enumerate(cell) if v == PRESENT}
    return [cell, *sorted(d for d in eligible if d != cell and (own <= set(d) or d in coarser))]


def _choose(audit: Audit, tables: Tables, key: Key, levels: list[list[Key]], withheld: dict[Key, str],
            eligible: set[Key]) -> list[Key]:
    """The nearest, smallest candidate (with its bundle) that alone frees ``key``, a few tried per
    distance; else the nearest smallest (more will follow)."""
    for level in levels[:LEVELS]:
        for c in level[:TRIES]:
            bundle = _bundle(c, eligible)
            trial = {**withheld, **dict.fromkeys(bundle, COMPLEMENTARY)}
            if not audit.pinned(key, published_cells(tables, trial), trial):
                return bundle
    return _bundle(levels[0][0], eligible)


def _refused(text: str, dataset: str) -> PrivacyError:
    """The fail-closed error."""
    return PrivacyError(text, dataset=dataset or None, fix="coarsen the check (fewer groups, or drop the figure)")


def _where(tables: Tables, key: Key) -> str:
    figure = next((f for f in tables.figures if key in f.cells), None)
    name = tables.names.get(figure.result, "a table") if figure else "a table"
    return f"{name}, {'.'.join(map(str, figure.path[:1])) if figure else 'a figure'} (cell {describe(key)})"


def decide(tables: Tables, threshold: int, dataset: str = "", budget: int | None = None,
           stop: Callable[[list[Key]], bool] | None = None) -> Decision:
    """Primary and complementary suppression, audited; raises PrivacyError naming the dataset, the
    table and the cell when a small cell cannot be protected. ``stop``: the caller's test of each
    batch of complementary cells; when it says the decision is of no use to it any more (cells are
    only ever added), the decision ends there with PrivacyError."""
    withheld: dict[Key, str] = dict((k, PRIMARY if v.startswith("<") else COMPLEMENTARY)
                                    for k, v in tables.withheld_before.items())
    in_figures = {k for f in tables.figures for k in f.cells}
    # margins before the cells inside them: a group's count freed first often frees its label cells
    primary = sorted((k for k in in_figures if 0 < tables.values.get(k, 0) < threshold), key=lambda k: (len(k), k))
    withheld.update({k: PRIMARY for k in primary})
    if not primary:
        return Decision(threshold, withheld)
    keys, relations = tables.closure()
    audit = Audit(keys, relations, threshold)
    added = 0
    for key in primary:
        while True:
            published = published_cells(tables, withheld)
            if not audit.pinned(key, published, withheld):
                break
            if budget is not None and audit.calls > budget:
                raise _refused(f"the audit needs more than {budget} linear programs; nothing was published", dataset)
            eligible = {c for c, n in published.items() if n >= threshold and c not in tables.always}
            candidates = audit.reachable(key, published, eligible)
            if not candidates or added >= MAX_COMPLEMENTARY:
                raise _refused("the published figures would let a reader narrow a small cell down "
                               f"({_where(tables, key)}) and no other cell can be withheld to prevent it; nothing "
                               "was published", dataset)
            levels = [sorted(level, key=lambda c: (published[c], c)) for level in candidates]
            chosen = _choose(audit, tables, key, levels, withheld, eligible)
            withheld.update(dict.fromkeys(chosen, COMPLEMENTARY))
            added += 1
            if stop is not None and stop(chosen):
                raise _refused("the decision was abandoned by its caller", dataset)
    # No second pass: each small cell left the loop unpinned while more was published than in the end
    # (cells are only ever withheld, never published again), and a reader who knows less can narrow
    # nothing more. tests/privacy attacks the final publication independently.
    return Decision(threshold, withheld, cost=audit.calls)
