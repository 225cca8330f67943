"""The building blocks every check's limits model shares (the spec validates them; the GX
expectation receives the same values as plain JSON kwargs)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from datavet.yamltext import DataText

Severity = Literal["error", "warning"]
Share = Annotated[float, Field(ge=0.0, le=1.0)]
Count = Annotated[int, Field(ge=0)]


class Strict(BaseModel):
    """Unknown keys are errors: a misspelt limit must not silently pass."""

    model_config = ConfigDict(extra="forbid", frozen=False)


class SplitScoped(Strict):
    """A check entry whose limits may apply to some splits only (a ``source.splits`` spec)."""

    splits: list[str] | None = Field(
        default=None, min_length=1, description="Only these splits of a source.splits spec (e.g. [train]): the "
                                                "entry's limits apply to them and not to the whole; default: "
                                                "the whole and every split.")


class CsvReference(Strict):
    csv: str = Field(description="Path of a CSV file with one row per group.")
    group: str = Field(default="group", description="Column holding the group names.")
    value: str = Field(default="share", description="Column holding counts or shares (normalised on load).")


Shares = dict[DataText, Annotated[float, Field(ge=0.0)]]


class SourcedReference(Strict):
    """A reference population with its provenance, shown beside every figure compared with it (charts,
    card, Croissant); inline shares or a CSV without these are allowed but flagged "unsourced"."""

    name: str = Field(min_length=1, description="What the reference is called, e.g. 'US residents by sex'.")
    source: str = Field(min_length=1, description="URL or citation of the figures.")
    year: int = Field(ge=1000, le=9999, description="The year the figures describe.")
    population: str = Field(min_length=1, description="Who the figures describe, e.g. 'US residents, all ages'.")
    shares: Shares | None = Field(default=None, description="{group: share or count}, normalised to 1.")
    csv: CsvReference | None = Field(default=None, description="Or a CSV with one row per group.")

    @model_validator(mode="after")
    def _one_table(self) -> SourcedReference:
        if (self.shares is None) == (self.csv is None):
            raise ValueError("give the reference's figures as either 'shares: {group: share}' or "
                             "'csv: {csv: path, group: column, value: column}'")
        return self


# A reference is an inline {group: share} map, a named reference (e.g. world_population), a CSV, or
# either of those with its provenance (SourcedReference); groups written as YAML numbers or booleans
# are their text, as the checks name data values.
Reference = Shares | str | CsvReference | SourcedReference


def reference_sums_to_something(ref: Reference | None) -> Reference | None:
    if isinstance(ref, SourcedReference) and ref.shares is not None:
        reference_sums_to_something(ref.shares)
    if isinstance(ref, dict):
        if not ref:
            raise ValueError("the reference is empty; give at least one {group: share}")
        if sum(ref.values()) <= 0:
            raise ValueError("the reference shares sum to 0; give positive shares (they are normalised to 1)")
    return ref
