"""The building blocks every check's limits model shares (the spec validates them; the GX
expectation receives the same values as plain JSON kwargs)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from datavet.yamltext import DataText

Severity = Literal["error", "warning"]
Share = Annotated[float, Field(ge=0.0, le=1.0)]
Count = Annotated[int, Field(ge=0)]


class Strict(BaseModel):
    """Unknown keys are errors: a misspelt limit must not silently pass."""

    model_config = ConfigDict(extra="forbid", frozen=False)


class CsvReference(Strict):
    csv: str = Field(description="Path of a CSV file with one row per group.")
    group: str = Field(default="group", description="Column holding the group names.")
    value: str = Field(default="share", description="Column holding counts or shares (normalised on load).")


# A reference is an inline {group: share} map, a named reference (e.g. world_population) or a CSV;
# groups written as YAML numbers or booleans are their text, as the checks name data values.
Reference = dict[DataText, Annotated[float, Field(ge=0.0)]] | str | CsvReference


def reference_sums_to_something(ref: Reference | None) -> Reference | None:
    if isinstance(ref, dict):
        if not ref:
            raise ValueError("the reference is empty; give at least one {group: share}")
        if sum(ref.values()) <= 0:
            raise ValueError("the reference shares sum to 0; give positive shares (they are normalised to 1)")
    return ref
