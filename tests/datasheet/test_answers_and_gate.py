"""answers.yaml: validation with friendly errors, the init scaffold, and the completeness gate."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from datavet.datasheet import (
    PROMPT_IDS,
    build_datasheet,
    completeness,
    init_answers,
    load_answers,
    profile_parquet,
    require_complete,
)
from datavet.datasheet.answers import parse_answers
from datavet.datasheet.questions import PROMPTS
from datavet.errors import DatasheetIncomplete, SpecError
from tests.datasheet.conftest import DATA, full_answers, titanic_spec, write_answers, write_spec


def test_adult_answers_are_real_and_complete(adult) -> None:
    answers = load_answers(adult.loaded.answers_path, adult.loaded)
    assert answers.dataset == "adult"
    sheet = build_datasheet(adult.loaded, adult.report, adult.parquet, data_md5=adult.md5)
    answered, required, missing = completeness(sheet)
    assert (answered, required, missing) == (50, 50, [])
    require_complete(sheet, "adult")
    assert sheet.contradictions == []
    m2 = sheet.prompt("M2")
    assert "Kohavi" in m2.answer and "Becker" in m2.answer and m2.attested_by == "data-platform@example.org"


@pytest.mark.parametrize("data,where,hint", [
    ({"answers": {"M9": {"answer": "x"}}}, "answers.M9", "prompt id"),
    ({"answers": {"M1": {"answer": "x", "not_applicable": "y"}}}, "answers.M1", "not both"),
    ({"answers": {"M1": {"answer": "x", "attested_on": "yesterday"}}}, "answers.M1.attested_on", "YYYY-MM-DD"),
    ({"answers": {"M1": {"text": "x"}}}, "answers.M1.text", "remove it"),
    ({"answers": {"M1": "just a string"}}, "answers.M1", "shape"),
])
def test_invalid_answers_list_file_key_path_and_fix(data, where, hint, titanic) -> None:
    path = Path("datasheets/titanic/answers.yaml")
    with pytest.raises(SpecError) as err:
        parse_answers(data, path, titanic.loaded)
    text = str(err.value)
    assert str(path) in text and where in text and hint in text, text


def test_answers_for_another_dataset_are_refused(titanic) -> None:
    with pytest.raises(SpecError, match="differs from the spec"):
        parse_answers({"dataset": "adult"}, Path("a.yaml"), titanic.loaded)


def test_missing_answer_gate_fails_then_passes(titanic, tmp_path) -> None:
    loaded = write_spec(tmp_path, titanic_spec(DATA / "titanic_train.csv"))
    # failing: C14 (required because the spec has protected columns) left out, K10 unattested
    data = full_answers("titanic", skip=("C14",))
    data["answers"]["K10"] = {"answer": "No mechanism."}
    data.pop("attested_by")
    for pid in PROMPT_IDS:
        if pid in data["answers"] and pid != "K10":
            data["answers"][pid]["attested_by"] = "qa@example.org"
    path = write_answers(loaded, data)
    sheet = build_datasheet(loaded, titanic.report, titanic.parquet, data_md5=titanic.md5, answers_path=path)
    answered, required, missing = completeness(sheet)
    assert missing == ["C14", "K10"] and required == 50 and answered == 48
    with pytest.raises(DatasheetIncomplete) as err:
        require_complete(sheet, "titanic")
    assert "C14" in str(err.value) and "K10" in str(err.value) and "not_applicable" in str(err.value)
    assert sheet.prompt("C14").status == "unanswered" and sheet.prompt("K10").status == "unattested"
    # passing: C14 honestly not applicable (with a reason), K10 attested
    data["answers"]["C14"] = {"not_applicable": "Names and tickets are never published.", "attested_by": "qa@x.org"}
    data["answers"]["K10"]["attested_by"] = "qa@example.org"
    write_answers(loaded, data)
    sheet = build_datasheet(loaded, titanic.report, titanic.parquet, data_md5=titanic.md5, answers_path=path)
    assert completeness(sheet) == (50, 50, [])
    require_complete(sheet)
    assert sheet.prompt("C14").status == "not_applicable"


def test_people_prompts_optional_without_protected_columns(titanic, tmp_path) -> None:
    spec = titanic_spec(DATA / "titanic_train.csv")
    for col in spec["columns"].values():
        if col.get("role") == "protected":
            col.pop("role")
    loaded = write_spec(tmp_path, spec)
    path = write_answers(loaded, full_answers("titanic", skip=("C13", "C14", "C15", "K7", "K8", "K9", "K10", "K11")))
    sheet = build_datasheet(loaded, titanic.report, titanic.parquet, data_md5=titanic.md5, answers_path=path)
    assert completeness(sheet) == (42, 42, [])
    assert sheet.prompt("C14").status == "optional"


def test_no_answers_file_means_every_required_prompt_missing(titanic, tmp_path) -> None:
    loaded = write_spec(tmp_path, titanic_spec(DATA / "titanic_train.csv"))
    sheet = build_datasheet(loaded, titanic.report, titanic.parquet, data_md5=titanic.md5)
    answered, required, missing = completeness(sheet)
    # C2 and C4 come from the data and C5 from the label column; everything else needs a person
    assert answered == 3 and required == 50 and "C2" not in missing and "M1" in missing


def test_init_answers_scaffold(adult) -> None:
    profile = profile_parquet(adult.parquet, adult.loaded)
    text = init_answers(adult.loaded, adult.report, profile)
    for prompt in PROMPTS:  # every prompt with its question as a comment
        assert f"  {prompt.id}:" in text
        assert f"# {prompt.id} (" in text
    data = yaml.safe_load(text)
    answers = parse_answers(data, Path("answers.yaml"), adult.loaded)
    assert answers.get("X1").answer == adult.loaded.spec.owner
    assert answers.get("D4").answer == adult.loaded.spec.license
    assert "1,836" in answers.get("C6").answer  # workclass '?' count, from the report
    warned = [c for c in adult.report.checks if not c.success]
    assert warned and all(f"{c.check} on {c.subject}" in answers.get("U4").answer for c in warned)
    assert f"{profile.duplicate_rows} rows repeat" in answers.get("C9").answer
    # drafts are not attested: they count as unanswered until a person vouches for them
    assert answers.attestation("X1") == (None, None)


def test_init_answers_without_report_is_valid_yaml(titanic) -> None:
    text = init_answers(titanic.loaded)
    answers = parse_answers(yaml.safe_load(text), Path("answers.yaml"), titanic.loaded)
    assert answers.get("C5").answer.startswith("Each instance carries the label `Survived`")
    assert "Name" in answers.get("C14").answer
