"""JSON Schemas exported from the models (committed as schemas/answers.schema.json and
schemas/datasheet.schema.json): editors validate answers files with one, other tools validate the
datasheet JSON with the other. Tests compare these texts with the committed files."""

from __future__ import annotations

import json
from typing import Any

from datavet.datasheet.answers import Answers
from datavet.datasheet.models import Datasheet
from datavet.datasheet.questions import CITATION

DRAFT = "https://json-schema.org/draft/2020-12/schema"


def _text(schema: dict[str, Any], title: str, description: str) -> str:
    schema = {"$schema": DRAFT, **schema, "title": title, "description": description}
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def answers_json_schema() -> str:
    return _text(Answers.model_json_schema(), "datavet datasheet answers",
                 f"Human answers to the datasheet prompts M1..X8, after {CITATION}")


def datasheet_json_schema() -> str:
    return _text(Datasheet.model_json_schema(mode="serialization"), "datavet datasheet",
                 f"A dataset version's datasheet (prompts after {CITATION}) with computed figures.")
