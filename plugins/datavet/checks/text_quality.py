"""The ``text_quality`` check: are one group's texts shorter, or written in other scripts, than another's?

Per group of a protected attribute: ``rows`` (texts with facts), the mean and spread of ``length``
(characters) with the largest standardized mean difference between two groups (``max_smd``, the
figures of datavet.checks.group_facts), ``script_shares``: the share of the group's letters in each
Unicode script (datavet.sources.text_facts), and ``script_rows``: the group's texts with a letter in
each script (a small one withholds that script's share). The texts are a table's ``column`` (computed from
the value counts of (attribute, column): once per distinct text, whatever the engine; the texts
themselves are never published) or, without ``column``, the text files of a tree (their facts
computed once per content and cached by md5, as image facts are).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from datavet.checks.base import SuiteContext, expectation
from datavet.checks.group_facts import GroupFactsCheck, compare_groups
from datavet.checks.limits import Severity, SplitScoped
from datavet.figures.outcome import Outcome
from datavet.figures.tables import value_counts
from datavet.figures.values import is_missing, label
from datavet.privacy.declare import cell, group_key
from datavet.sources.text_facts import TEXT_COLUMNS, parse_scripts, text_facts

NAME = "text_quality"
FACTS = ["length"]


class TextQualitySpec(SplitScoped):
    """Texts compared across the groups of a protected attribute: a table's text column, or a tree's text files."""

    by: str = Field(description="The protected attribute whose groups are compared.")
    column: str | None = Field(default=None, description="The text column (a table); null: the text files of "
                                                         "source.files (*.txt, *.csv, *.json read as UTF-8).")
    max_smd: float | None = Field(default=None, ge=0, description="Largest allowed standardized mean difference "
                                                                  "of the length between two groups (null: no limit).")
    severity: Severity = "error"


def text_quality(table: dict[str, Any], tokens: list[str], *, from_files: bool = False,
                 max_smd: float | None = None, private_by: bool = False,
                 by_names: dict[str, str] | None = None) -> Outcome:
    """Figures from the value counts of (attribute, text column), or with ``from_files`` of
    (attribute, text_chars, text_scripts). A missing text (or a file that is not UTF-8 text) counts
    nowhere; a row whose attribute is missing counts in ``texts`` only."""
    values: dict[str, dict[str, list[tuple[float, int]]]] = {}
    rows: dict[str, int] = {}
    letters: dict[str, dict[str, int]] = {}
    writers: dict[str, dict[str, int]] = {}  # per group, per script: the texts with a letter in it
    texts = 0
    for key, n in value_counts(table).items():
        if from_files:
            if key[1] is None:
                continue
            length, scripts = int(key[1]), parse_scripts(key[2])
        else:
            if is_missing(key[1], tokens):
                continue
            facts = text_facts(str(key[1]))
            length, scripts = facts.length, facts.scripts
        texts += n
        if is_missing(key[0], tokens):
            continue
        g = label(key[0])
        values.setdefault(g, {"length": []})["length"].append((float(length), n))
        rows[g] = rows.get(g, 0) + n
        per, who = letters.setdefault(g, {}), writers.setdefault(g, {})
        for script, k in scripts.items():
            per[script] = per.get(script, 0) + k * n
            who[script] = who.get(script, 0) + n
    out, mapping = compare_groups(values, rows, FACTS, max_smd=max_smd, private_by=private_by, by_names=by_names,
                                  what="texts")
    if mapping is not None:  # keys only: scripts are not groups
        letters = {mapping.get(g, g): v for g, v in letters.items()}
        writers = {mapping.get(g, g): v for g, v in writers.items()}
    shares = {g: {s: k / sum(per.values()) for s, k in sorted(per.items())} if sum(per.values()) else None
              for g, per in sorted(letters.items())}
    out.observed = {"texts": texts, **out.observed, "script_shares": shares,
                    "script_rows": {g: dict(sorted(who.items())) for g, who in sorted(writers.items())}}
    out.cap()
    return out


class TextQuality(GroupFactsCheck):
    name = NAME
    expectation_type = "expect_text_quality_to_be_similar_across_groups"
    expectation_module = "datavet.gx.expectations.expect_text_quality_to_be_similar_across_groups"
    limit_keys = ("max_smd",)
    spec_key = NAME
    spec_annotation = list[TextQualitySpec]
    total = "texts"
    metric = "text_smd"

    def declare(self, result: Any, t: Any) -> None:
        """Each group's texts are its cell (GroupFactsCheck); the texts of a group with a letter of a
        script are a cell inside it, which that script's share gives away (a script only one person
        of a group writes in is withheld, not just a small group)."""
        super().declare(result, t)
        o = result.observed
        scripts = f"\x00script:{result.column or 'text files'}"
        for g, who in (o.get("script_rows") or {}).items():
            group = group_key(result.by, g)
            for script, n in (who or {}).items():
                inside = cell(*group, (scripts, script))
                t.count(("script_rows", g, script), inside, n)
                t.derived(("script_shares", g, script), inside, group)

    def configurations(self, checks: Any, ctx: SuiteContext) -> list[dict[str, Any]]:
        return [expectation(self, tq.severity, splits=tq.splits, by=tq.by, column=tq.column, max_smd=tq.max_smd,
                            by_is_private=tq.by in ctx.private)
                for tq in checks.text_quality]

    def columns(self, checks: Any) -> set[str]:
        return {c for tq in checks.text_quality for c in (tq.by, *([tq.column] if tq.column else TEXT_COLUMNS))}

    def reads_text_files(self, checks: Any) -> bool:
        return any(tq.column is None for tq in checks.text_quality or [])

    def problems(self, spec: Any) -> list[str]:
        if self.reads_text_files(spec.checks) and not spec.source.has_files:
            return ["checks.text_quality without a column reads the text files of a tree: it needs source.files, "
                    "or name the text column with column:"]
        return []
