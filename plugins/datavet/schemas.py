"""JSON Schemas exported from the pydantic models, committed under ``schemas/`` so that editors
validate specs and answers files, and other tools validate datasheet JSON."""

from __future__ import annotations

from pathlib import Path

from datavet.fsutil import atomic_write_text
from datavet.spec import spec_json_schema


def schema_texts() -> dict[str, str]:
    from datavet.datasheet import answers_json_schema, datasheet_json_schema

    return {
        "dataset.schema.json": spec_json_schema(),
        "answers.schema.json": answers_json_schema(),
        "datasheet.schema.json": datasheet_json_schema(),
    }


def write_schemas(out: Path) -> list[Path]:
    paths = []
    for name, text in schema_texts().items():
        atomic_write_text(out / name, text)
        paths.append(out / name)
    return paths
