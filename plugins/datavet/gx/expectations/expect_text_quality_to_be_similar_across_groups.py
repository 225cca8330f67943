"""ExpectTextQualityToBeSimilarAcrossGroups: the ``text_quality`` check."""

from __future__ import annotations

from typing import Any, ClassVar

from great_expectations.compatibility import pydantic

from datavet.checks.text_quality import NAME as TEXT_QUALITY
from datavet.checks.text_quality import text_quality
from datavet.figures.outcome import Outcome
from datavet.gx.expectations.base import DatavetExpectation, value_counts_of
from datavet.sources.text_facts import TEXT_COLUMNS


class ExpectTextQualityToBeSimilarAcrossGroups(DatavetExpectation):
    """Expect each group's texts to be as long as the others' (and report the scripts they are written in).

    Args:
        by: the protected attribute whose groups are compared.
        column: the text column; None: the text facts of a tree's files (text_chars, text_scripts).
        max_smd: largest standardized mean difference of the length between two groups.
        by_is_private: the attribute's values must not be published (groups get opaque names).

    Returns:
        ``observed_value``: texts, rows (per group), means and spreads of length (per group), smd and
        smd_groups, largest_smd, largest_smd_fact, script_shares and script_rows (per group, per script).

    Example: Titanic's ``Name`` by ``Sex``: women's names are longer (they carry the husband's name),
    an SMD of about 1.0; passes with ``max_smd=1.5``, fails with ``max_smd=0.5``.
    """

    by: str
    column: str | None = None
    max_smd: float | None = pydantic.Field(default=None, ge=0)
    by_is_private: bool = False

    check: ClassVar[str] = TEXT_QUALITY
    success_keys: ClassVar[tuple] = ("by", "column", "max_smd", "missing_tokens", "by_is_private")
    args_keys: ClassVar[tuple] = ("by",)

    def _table(self) -> tuple[str, dict[str, Any]]:
        return value_counts_of([self.by, *([self.column] if self.column else TEXT_COLUMNS)])

    def _private(self) -> list[str]:
        return [self.by] if self.by_is_private else []

    def _outcome(self, table: dict[str, Any], names: dict[str, dict[str, str]]) -> Outcome:
        return text_quality(table, self._tokens(), from_files=self.column is None, max_smd=self.max_smd,
                            private_by=self.by_is_private, by_names=names.get(self.by))
