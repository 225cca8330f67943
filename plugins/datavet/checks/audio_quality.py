"""The ``audio_quality`` check: are the recordings of one group shorter, quieter or of a lower sample
rate than another's?

Speech datasets under-serve groups whose recordings are shorter, noisier or recorded with poorer
equipment. Per group of a protected attribute, the mean and spread of each audio fact
(datavet.sources.audio_facts: duration, sample rate, channels, loudness in dBFS) and for each fact
the largest standardized mean difference between two groups, limited by ``max_smd`` (the figures of
datavet.checks.group_facts, as ``image_quality``'s). Every figure comes from the shared value counts
of (attribute, facts...): nothing reads the audio again.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from datavet.checks.base import SuiteContext, expectation
from datavet.checks.group_facts import GroupFactsCheck, compare_groups
from datavet.checks.limits import Severity, SplitScoped
from datavet.figures.outcome import Outcome
from datavet.figures.tables import value_counts
from datavet.figures.values import is_missing, label
from datavet.privacy.declare import cell

NAME = "audio_quality"
FACTS = {"duration": "audio_duration", "sample_rate": "audio_sample_rate", "channels": "audio_channels",
         "loudness_dbfs": "audio_loudness_dbfs"}
TABLE_COLUMNS = list(FACTS.values())
SILENCE = "\x00audio_silent"  # the cell of the files that are digital silence (no column of the data)
Fact = Literal["duration", "sample_rate", "channels", "loudness_dbfs"]


class AudioQualitySpec(SplitScoped):
    """Audio content compared across the groups of a protected attribute (a tree of WAV/FLAC files)."""

    by: str = Field(description="The protected attribute whose groups are compared.")
    facts: list[Fact] | None = Field(default=None, description="The facts compared; default: all of them.")
    max_smd: float | None = Field(default=None, ge=0, description="Largest allowed standardized mean difference "
                                                                  "of a fact between two groups (null: no limit).")
    severity: Severity = "error"


def audio_quality(table: dict[str, Any], tokens: list[str], facts: list[str] | None = None, *,
                  max_smd: float | None = None, private_by: bool = False,
                  by_names: dict[str, str] | None = None) -> Outcome:
    """Figures from the value counts of (attribute, audio_duration, ..., audio_loudness_dbfs).

    Rows whose attribute is missing are in no group; a file that is not decoded audio has null facts
    and counts in no mean; digital silence has no loudness and counts in no loudness mean.
    ``rows``: per group, the audio files with facts (duration known); ``files``: all of them."""
    chosen = list(facts or FACTS)
    index = {f: 1 + list(FACTS).index(f) for f in chosen}
    values: dict[str, dict[str, list[tuple[float, int]]]] = {}
    rows: dict[str, int] = {}
    files = silent = 0
    for key, n in value_counts(table).items():
        if key[1] is None:
            continue
        files += n
        silent += n if key[4] is None else 0
        if is_missing(key[0], tokens):
            continue
        g = label(key[0])
        per = values.setdefault(g, {f: [] for f in chosen})
        rows[g] = rows.get(g, 0) + n
        for f, i in index.items():
            if key[i] is not None:
                per[f].append((float(key[i]), n))
    out, _ = compare_groups(values, rows, chosen, max_smd=max_smd, private_by=private_by, by_names=by_names,
                            what="audio files")
    out.observed = {"files": files, **out.observed, "silent_files": silent}
    if silent:
        out.notes.append(f"{silent} audio file(s) are digital silence: no loudness, left out of its means")
    out.cap()
    return out


class AudioQuality(GroupFactsCheck):
    name = NAME
    expectation_type = "expect_audio_quality_to_be_similar_across_groups"
    expectation_module = "datavet.gx.expectations.expect_audio_quality_to_be_similar_across_groups"
    limit_keys = ("max_smd",)
    spec_key = NAME
    reads_audio_content = True
    spec_annotation = list[AudioQualitySpec]
    total = "files"
    metric = "audio_smd"

    def declare(self, result: Any, t: Any) -> None:
        """Each group's files are its cell (GroupFactsCheck); the silent files are a cell of their own."""
        super().declare(result, t)
        t.count(("silent_files",), cell((SILENCE, "True")), result.observed.get("silent_files"))

    def configurations(self, checks: Any, ctx: SuiteContext) -> list[dict[str, Any]]:
        return [expectation(self, aq.severity, splits=aq.splits, by=aq.by, facts=aq.facts, max_smd=aq.max_smd,
                            by_is_private=aq.by in ctx.private)
                for aq in checks.audio_quality]

    def columns(self, checks: Any) -> set[str]:
        return {c for aq in checks.audio_quality for c in (aq.by, *TABLE_COLUMNS)}

    def problems(self, spec: Any) -> list[str]:
        if spec.checks.audio_quality and not spec.source.has_files:
            return ["checks.audio_quality reads what is inside audio files: it needs source.files (a tree of "
                    "WAV or FLAC files)"]
        return []
