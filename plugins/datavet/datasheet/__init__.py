"""Datasheets for dataset versions, after Gebru et al., "Datasheets for Datasets" (CACM 2021).

Human answers (``answers.yaml``) and figures computed from the version and its check report go
into one model, rendered as Markdown, HTML and JSON that all state the md5 of the bytes described.
"""

from __future__ import annotations

from datavet.datasheet.answers import Answers, load_answers
from datavet.datasheet.build import build_datasheet, completeness, require_answers, require_complete
from datavet.datasheet.models import Contradiction, Datasheet
from datavet.datasheet.profile import DataProfile, profile_parquet
from datavet.datasheet.questions import PROMPT_IDS, PROMPTS
from datavet.datasheet.render import (
    datasheet_identity,
    datasheet_md5_of,
    render_all,
    render_html,
    render_json,
    render_markdown,
)
from datavet.datasheet.scaffold import init_answers
from datavet.datasheet.schema import answers_json_schema, datasheet_json_schema

__all__ = [
    "PROMPTS", "PROMPT_IDS", "Answers", "Contradiction", "DataProfile", "Datasheet", "answers_json_schema",
    "build_datasheet", "completeness", "datasheet_identity", "datasheet_json_schema", "datasheet_md5_of",
    "init_answers", "load_answers", "profile_parquet", "render_all", "render_html", "render_json", "render_markdown",
    "require_answers", "require_complete",
]
