"""ExpectAudioQualityToBeSimilarAcrossGroups: the ``audio_quality`` check."""

from __future__ import annotations

from typing import Any, ClassVar

from great_expectations.compatibility import pydantic

from datavet.checks.audio_quality import NAME as AUDIO_QUALITY
from datavet.checks.audio_quality import TABLE_COLUMNS, audio_quality
from datavet.figures.outcome import Outcome
from datavet.gx.expectations.base import DatavetExpectation, value_counts_of


class ExpectAudioQualityToBeSimilarAcrossGroups(DatavetExpectation):
    """Expect the recordings of each group to be as long, loud and finely sampled as the others'.

    Args:
        by: the protected attribute whose groups are compared.
        facts: the audio facts compared (duration, sample_rate, channels, loudness_dbfs); default all.
        max_smd: largest standardized mean difference of a fact between two groups.
        by_is_private: the attribute's values must not be published (groups get opaque names).

    Returns:
        ``observed_value``: files, rows (per group), means and spreads (per group, per fact), smd and
        smd_groups (per fact), largest_smd, largest_smd_fact, silent_files.

    Example: one group recorded at -20 dBFS and another at -30 dBFS, each with a spread of 2 dB:
    loudness SMD 5; passes with ``max_smd=6``, fails with ``max_smd=1``.
    """

    by: str
    facts: list[str] | None = None
    max_smd: float | None = pydantic.Field(default=None, ge=0)
    by_is_private: bool = False

    check: ClassVar[str] = AUDIO_QUALITY
    success_keys: ClassVar[tuple] = ("by", "facts", "max_smd", "missing_tokens", "by_is_private")
    args_keys: ClassVar[tuple] = ("by",)

    def _table(self) -> tuple[str, dict[str, Any]]:
        return value_counts_of([self.by, *TABLE_COLUMNS])

    def _private(self) -> list[str]:
        return [self.by] if self.by_is_private else []

    def _outcome(self, table: dict[str, Any], names: dict[str, dict[str, str]]) -> Outcome:
        return audio_quality(table, self._tokens(), self.facts, max_smd=self.max_smd,
                             private_by=self.by_is_private, by_names=names.get(self.by))
