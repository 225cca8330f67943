"""The datasheet as data: one pydantic model that every document (Markdown, HTML, JSON) is rendered
from, so the three can never disagree, and whose JSON Schema is what the JSON document validates
against. Human answers and computed figures live side by side but apart: a figure is never typed by
hand, and an answer is never computed."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from datavet.changes import Changes
from datavet.registry.certificate import Recertification

SCHEMA_VERSION = "1.0"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---- published figures --------------------------------------------------------------------------
class Count(_Model):
    """A count as published: below the small-cell threshold only "<threshold" is shown."""

    value: int | None = Field(description="The exact count; null when suppressed.")
    display: str = Field(description='What documents show, e.g. "1,234" or "<10".')
    suppressed: bool = Field(description="True when the count is below the small-cell threshold.")


class GroupShare(_Model):
    group: str = Field(description="Group label as published (values of private columns are masked).")
    count: Count
    share: float | None = Field(description="count / total; null when the count is suppressed.")
    reference_share: float | None = Field(default=None, description="The group's share in the reference.")
    ratio: float | None = Field(default=None, description="share / reference_share.")
    interval: list[float] | None = Field(default=None, description="The share's Wilson score interval at the "
                                                                   "check's confidence; null when not asked "
                                                                   "for or withheld.")


class GroupRate(_Model):
    group: str
    rate: float | None = Field(description="A rate within the group; null when withheld or undefined.")
    withheld: bool = Field(default=False, description="True when the group is too small to publish a rate.")
    interval: list[float] | None = Field(default=None, description="The rate's Wilson score interval at the "
                                                                   "check's confidence; null when not asked "
                                                                   "for or withheld.")


class CellRate(GroupRate):
    """The best or worst cell of a comparison across combinations of attributes."""

    rows: Count = Field(description="The cell's rows (the denominator of its rate).")


class ColumnInfo(_Model):
    name: str
    type: str = Field(description="Storage type in the Parquet version (DuckDB type name).")
    role: str | None = Field(description="Role in the dataset spec (protected, label, ...).")
    description: str | None
    recoded: str | None = Field(default=None, description="The spec's values map or bins, applied before every "
                                                          "check (the version's bytes keep the raw values).")
    missing: Count | None = Field(default=None, description="Missing cells (null or a missing token).")
    class_names: list[str] | None = Field(
        default=None, description="An integer column coded 0..n-1 whose values map names every code: the names "
                                  "by code (a Hugging Face ClassLabel); null otherwise, and for private columns.")
    missing_rate: float | None = None
    missing_tokens: dict[str, Count] = Field(default_factory=dict, description="Missing cells per token.")


class ParityFigure(_Model):
    column: str
    by: str
    groups: list[GroupRate]
    max_rate: float | None
    min_rate: float | None
    max_diff: float | None
    max_ratio: float | None
    best_cell: CellRate | None = Field(default=None, description="With several attributes: lowest missing rate.")
    worst_cell: CellRate | None = Field(default=None, description="With several attributes: highest missing rate.")


class ReferenceInfo(_Model):
    """Where a reference population comes from, shown beside every figure compared with it."""

    name: str
    source: str | None = Field(default=None, description="URL or citation of the figures.")
    year: int | None = Field(default=None, description="The year the figures describe.")
    population: str | None = Field(default=None, description="Who the figures describe.")
    sourced: bool = Field(description="False: inline numbers or a CSV given without name, source, year and "
                                      "population (flagged unsourced).")

    @property
    def text(self) -> str:
        """One line for captions, cards and Croissant."""
        if not self.sourced:
            return f"{self.name}, unsourced (no name, source, year or population given in the spec)"
        return f"{self.name}: {self.population}, {self.year}; source: {self.source}"


class RepresentationFigure(_Model):
    confidence: float | None = Field(default=None, description="The confidence of the shares' intervals.")
    column: str
    non_missing: Count
    groups: list[GroupShare]
    tvd: float | None = None
    chi2_pvalue: float | None = None
    absent_groups: list[str] = Field(default_factory=list)
    unexpected_groups: list[str] = Field(default_factory=list)
    has_reference: bool = False
    reference: ReferenceInfo | None = Field(default=None, description="The reference population's provenance.")


class IntersectionCell(_Model):
    cell: str = Field(description='Combination of values, "v1 | v2".')
    count: Count


class IntersectionFigure(_Model):
    columns: list[str]
    cells: list[IntersectionCell]
    empty_cells: list[str] = Field(default_factory=list)


class GeographyFigure(_Model):
    column: str
    resolved_share: float | None
    unresolved: list[GroupShare] = Field(default_factory=list, description="Values that did not resolve.")
    countries: list[GroupShare] = Field(description="By ISO 3166-1 alpha-3 code, largest first.")
    distinct_countries: int | None
    top1_country: str | None
    top1_share: float | None
    top5_share: float | None
    hhi: float | None
    effective_countries: float | None
    regions: list[GroupRate] = Field(default_factory=list, description="Share of rows by region.")
    tvd: float | None = None
    underrepresented: list[str] = Field(default_factory=list)
    has_reference: bool = False
    reference: ReferenceInfo | None = Field(default=None, description="The reference population's provenance.")


class LabelBalance(_Model):
    by: str
    positive_rates: list[GroupRate]
    disparate_impact: float | None
    parity_difference: float | None
    confidence: float | None = Field(default=None, description="The confidence of the rates' intervals.")
    disparate_impact_interval: list[float] | None = Field(
        default=None, description="Range of disparate impact over the rates' intervals (docs/checks.md).")
    best_cell: CellRate | None = Field(default=None, description="With several attributes: highest positive rate.")
    worst_cell: CellRate | None = Field(default=None, description="With several attributes: lowest positive rate.")


class LabelFigure(_Model):
    column: str
    positive: str | None
    classes: list[GroupShare] = Field(default_factory=list, description="Rows per label value.")
    balance: list[LabelBalance] = Field(default_factory=list, description="Positive rate across groups.")


class ProxyFigure(_Model):
    protected: str
    limit: float | None = Field(default=None, description="The check's max_cramers_v.")
    columns: list[GroupRate] = Field(description="Bias-corrected Cramér's V per column, strongest first "
                                                 "(``group``: the column, ``rate``: V; null when undefined "
                                                 "or withheld).")
    above_limit: list[str] = Field(default_factory=list)


class TimeRange(_Model):
    column: str
    min: str | None
    max: str | None


class ImageSize(_Model):
    size: str = Field(description='Width x height in pixels, e.g. "224x224".')
    files: int


class FilesFigure(_Model):
    """A tree of files: its composition and integrity. Counts of files, never their content: no image,
    thumbnail or excerpt of any file appears in a datasheet."""

    files: int = Field(description="C2: files in this version (one row each in the label table).")
    bytes: int = Field(description="Total size of the files.")
    formats: dict[str, int] = Field(description="C4: files per format, as their bytes show it.")
    image_sizes: list[ImageSize] = Field(default_factory=list, description="The most common image sizes.")
    distinct_image_sizes: int = 0
    manifest_rows: int | None = Field(description="Rows of the label manifest (null: labels from paths only).")
    missing_files: int | None = Field(description="C6: manifest rows whose file is not in the tree.")
    unlisted_files: int | None = Field(description="C6: files without a manifest row.")
    unreadable_files: int = Field(description="C9: files that do not decode as the format their name claims.")
    duplicate_files: int = Field(description="C9: files whose bytes equal an earlier file's.")


class CheckOutcome(_Model):
    check: str
    subject: str
    severity: Literal["error", "warning"]
    status: Literal["passed", "failed", "warned"]
    failures: list[str] = Field(default_factory=list)
    limits: dict[str, float | int] = Field(
        default_factory=dict, description="Every limit the check applied, from the spec (never suppressed).")


class WithheldCell(_Model):
    table: str = Field(description="The check and its subject, e.g. 'representation on race'.")
    figure: str = Field(description="The figure's name in the report, e.g. 'counts'.")
    cell: str = Field(description="The rows the count is of, e.g. 'race=Other'.")
    why: str = Field(description="primary: a count of 1..threshold-1; complementary: withheld so that no "
                                 "primary cell can be worked out from the published totals.")


class SplitFigure(_Model):
    """C8: one split of a source.splits version, as the report publishes it."""

    split: str = Field(description="The split's name (train, validation, test, ...).")
    rows: Count | None = Field(default=None, description="The split's rows (files, for a tree of files).")
    groups: dict[str, list[GroupShare]] = Field(
        default_factory=dict, description="{protected column: its groups' counts and shares in this split}, "
                                          "small cells withheld.")


class Computed(_Model):
    """Everything filled from the version and its check report, never typed by hand."""

    rows: int = Field(description="C2: number of instances.")
    columns: list[ColumnInfo] = Field(description="C4: columns with types and descriptions.")
    label: LabelFigure | None = Field(default=None, description="C5: label and its balance.")
    missing_cells: Count | None = Field(default=None, description="C6: missing cells over all columns.")
    parity: list[ParityFigure] = Field(default_factory=list, description="C6: missingness across groups.")
    duplicate_rows: Count = Field(description="C9: rows that repeat an earlier row exactly.")
    duplicate_rows_without_identifying: Count | None = Field(
        default=None, description="C9: rows that repeat an earlier row in every column but the identifying ones "
                                  "(an id column makes every row distinct); null without identifying columns.")
    representation: list[RepresentationFigure] = Field(default_factory=list, description="C13.")
    intersections: list[IntersectionFigure] = Field(default_factory=list, description="C13.")
    geography: list[GeographyFigure] = Field(default_factory=list, description="C13 / C3.")
    proxies: list[ProxyFigure] = Field(default_factory=list, description="C13: columns that stand in for a "
                                                                         "protected attribute.")
    time_ranges: list[TimeRange] = Field(default_factory=list, description="K5: time-role columns.")
    files: FilesFigure | None = Field(default=None, description="C2/C4/C6/C9: a tree of files (image, audio "
                                                                "or text datasets).")
    splits: list[SplitFigure] = Field(default_factory=list, description="C8: each split of a source.splits "
                                                                        "version, with its protected groups.")
    withheld: list[WithheldCell] = Field(default_factory=list, description="Every count withheld from the "
                                                                         "figures above, and why (datavet.privacy).")


class Validation(_Model):
    result_id: str | None = Field(description="Id of the GX validation result the figures come from.")
    suite_name: str | None = None
    suite_hash: str | None = None
    engine: str | None = None
    success: bool = Field(description="True when every error-severity check passed.")
    checks: list[CheckOutcome]


# ---- prompts and answers ------------------------------------------------------------------------
# placeholder: "Unknown", "n/a" and the like, which answer nothing; draft: pre-filled, not yet reviewed
PromptStatus = Literal["answered", "not_applicable", "computed", "unanswered", "unattested", "placeholder", "draft",
                       "optional"]


class PromptEntry(_Model):
    id: str = Field(pattern=r"^[MCKPUDX][0-9]{1,2}$")
    question: str
    required: bool
    status: PromptStatus
    answer: str | None = None
    not_applicable_reason: str | None = None
    attested_by: str | None = None
    attested_on: date | None = None
    figures: list[str] = Field(default_factory=list,
                               description="Computed figures (keys of 'computed') that inform this prompt.")
    contradictions: list[str] = Field(default_factory=list)


class SectionEntry(_Model):
    key: str
    title: str
    intro: str
    prompts: list[PromptEntry]


class Contradiction(_Model):
    prompt: str
    statement: str = Field(description="The part of the human answer that disagrees.")
    figure: str = Field(description="The computed figure it disagrees with, e.g. duplicate_rows = 24.")
    message: str


class Completeness(_Model):
    answered: int
    required: int
    missing: list[str] = Field(description="Required prompt ids without an attested answer.")


class Datasheet(_Model):
    """A full datasheet for one dataset version."""

    schema_version: Literal["1.0"] = SCHEMA_VERSION
    dataset: str
    title: str
    owner: str
    license: str
    data_md5: str = Field(pattern=r"^[0-9a-f]{32}(\.dir)?$",
                          description="md5 of the exact bytes described (a tree's <md5>.dir).")
    generated_at: datetime
    citation: str
    relates_to_people: bool
    small_cell_threshold: int
    validation: Validation
    computed: Computed
    sections: list[SectionEntry]
    completeness: Completeness
    contradictions: list[Contradiction] = Field(default_factory=list)
    changes: Changes | None = Field(default=None, description="What changed since the previous certified version.")
    recertification: Recertification | None = Field(
        default=None, description="Against the dataset's previous certification: the spec keys and answers that "
                                  "changed, and the reason given (`--reason`); as its certificate records them.")
    signer: str | None = Field(
        default=None, description="SHA256 fingerprint of the SSH key its certification is signed with ('UNSIGNED': "
                                  "certified without a signature; `datavet verify` checks it).")

    def prompt(self, pid: str) -> PromptEntry:
        for section in self.sections:
            for entry in section.prompts:
                if entry.id == pid:
                    return entry
        raise KeyError(pid)
