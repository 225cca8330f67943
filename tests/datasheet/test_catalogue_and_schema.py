"""The prompt catalogue (57 prompts, stable IDs) and the exported JSON Schemas."""

from __future__ import annotations

import json

import jsonschema
import pytest

from datavet.datasheet import (
    PROMPT_IDS,
    answers_json_schema,
    build_datasheet,
    datasheet_json_schema,
    render_json,
)
from datavet.datasheet.questions import PROMPTS, SECTIONS, is_required, prompts_in
from tests.datasheet.reportkit import REPO

EXPECTED = {"M": 4, "C": 16, "K": 12, "P": 4, "U": 6, "D": 7, "X": 8}


def test_all_57_prompts_with_stable_ids() -> None:
    assert len(PROMPT_IDS) == len(set(PROMPT_IDS)) == 57
    for section in SECTIONS:
        ids = [p.id for p in prompts_in(section.key)]
        assert ids == [f"{section.letter}{i}" for i in range(1, EXPECTED[section.letter] + 1)]
    assert {p.id for p in PROMPTS if p.people_only} == {"C13", "C14", "C15", "K7", "K8", "K9", "K10", "K11"}
    assert all("?" in p.question for p in PROMPTS)


def test_people_prompts_required_only_for_data_about_people() -> None:
    c14 = next(p for p in PROMPTS if p.id == "C14")
    assert is_required(c14, relates_to_people=True)
    assert not is_required(c14, relates_to_people=False)
    assert not any(is_required(p, True) for p in PROMPTS if p.comments)


@pytest.mark.parametrize("name,text", [("answers.schema.json", answers_json_schema),
                                       ("datasheet.schema.json", datasheet_json_schema)])
def test_committed_schema_is_current(name: str, text) -> None:
    committed = (REPO / "schemas" / name).read_text(encoding="utf-8")
    assert committed == text(), f"schemas/{name} is stale: run `datavet schema` (or write {name}) again"


def test_answers_schema_lists_every_prompt_and_forbids_others() -> None:
    schema = json.loads(answers_json_schema())
    validator = jsonschema.Draft202012Validator(schema)
    good = {"dataset": "adult", "answers": {"M1": {"answer": "x", "attested_by": "a@b", "attested_on": "2026-01-01"}}}
    assert not list(validator.iter_errors(good))
    bad = {"dataset": "adult", "answers": {"M9": {"answer": "x"}}}
    assert list(validator.iter_errors(bad)), "an unknown prompt id must not validate"
    props = schema["$defs"]["PromptAnswers"]["properties"]
    assert set(props) == set(PROMPT_IDS)


@pytest.mark.parametrize("which", ["adult", "titanic", "adult_gx"])
def test_datasheet_json_validates_against_exported_schema(which: str, request) -> None:
    v = request.getfixturevalue(which)
    sheet = build_datasheet(v.loaded, v.report, v.parquet, data_md5=v.md5)
    document = json.loads(render_json(sheet))
    jsonschema.Draft202012Validator(json.loads(datasheet_json_schema())).validate(document)
    broken = dict(document, data_md5="not-an-md5")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(json.loads(datasheet_json_schema())).validate(broken)


def test_end_to_end_with_gx_report(adult_gx) -> None:
    """datavet.checks.run_checks -> build_datasheet: complete, bound to the GX validation result."""
    from datavet.datasheet import completeness, require_complete

    sheet = build_datasheet(adult_gx.loaded, adult_gx.report, adult_gx.parquet, data_md5=adult_gx.md5)
    assert adult_gx.report.validation_result_id and sheet.validation.result_id == adult_gx.report.validation_result_id
    assert completeness(sheet) == (50, 50, []) and sheet.contradictions == []
    require_complete(sheet, "adult")
    warned = {(o.check, o.subject) for o in sheet.validation.checks if o.status == "warned"}
    assert warned == {(c.check, c.subject) for c in adult_gx.report.checks if not c.success}
