"""Answers that say nothing do not count: placeholders ("Unknown", "n/a", "TBD", "-") are unanswered,
pre-filled drafts count once a person has reviewed them, and `datavet datasheet init SPEC --refresh`
rewrites the unreviewed drafts from the current spec while keeping every other answer."""

from __future__ import annotations

import html
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from datavet.datasheet import (
    PROMPT_IDS,
    build_datasheet,
    completeness,
    init_answers,
    load_answers,
    render_all,
    require_answers,
)
from datavet.errors import DatasheetIncomplete
from tests.datasheet.conftest import DATA, full_answers, titanic_spec, write_answers, write_spec

DATAVET = str(Path(sys.executable).parent / "datavet")
PLACEHOLDERS = {"M1": {"answer": "Unknown"}, "M2": {"answer": "n/a"}, "M3": {"answer": " TBD. "},
                "C1": {"answer": "-"}, "C3": {"not_applicable": "N/A"}, "C7": {"answer": "todo"}}


def test_placeholders_do_not_count_as_answers(titanic, tmp_path) -> None:
    loaded = write_spec(tmp_path, titanic_spec(DATA / "titanic_train.csv"))
    real = {"C8": {"answer": "Unknown to the maintainers: the Kaggle page does not say."}}
    path = write_answers(loaded, full_answers("titanic", extra={**PLACEHOLDERS, **real}))
    sheet = build_datasheet(loaded, titanic.report, titanic.parquet, data_md5=titanic.md5, answers_path=path)
    answered, required, missing = completeness(sheet)
    assert sorted(missing) == sorted(PLACEHOLDERS) and answered == required - len(PLACEHOLDERS)
    assert {pid: sheet.prompt(pid).status for pid in PLACEHOLDERS} == {pid: "placeholder" for pid in PLACEHOLDERS}
    assert sheet.prompt("C8").status == "answered"
    with pytest.raises(DatasheetIncomplete) as err:
        require_answers(loaded)
    in_order = ", ".join(pid for pid in PROMPT_IDS if pid in PLACEHOLDERS)
    assert f"a placeholder (unknown, n/a, tbd, -) is no answer: {in_order}" in str(err.value)
    page = html.unescape(render_all(sheet, tmp_path / "out")["html"].read_text(encoding="utf-8"))
    assert "required prompts answered</span>" not in page  # no green "All N required prompts answered"
    assert page.count("a placeholder such as “unknown” or “n/a” is no answer") == len(PLACEHOLDERS)


def test_drafts_count_once_reviewed(titanic, tmp_path) -> None:
    loaded = write_spec(tmp_path, titanic_spec(DATA / "titanic_train.csv"))
    data = yaml.safe_load(init_answers(loaded))
    drafted = sorted(pid for pid, a in data["answers"].items() if a and a.get("reviewed") is False)
    assert {"X1", "D4", "C14", "C5"} <= set(drafted)
    settled = full_answers("titanic", skip=tuple(drafted))
    settled["answers"].update({pid: data["answers"][pid] for pid in drafted})
    path = write_answers(loaded, settled)
    sheet = build_datasheet(loaded, titanic.report, titanic.parquet, data_md5=titanic.md5, answers_path=path)
    required_drafts = [pid for pid in drafted if sheet.prompt(pid).required and sheet.prompt(pid).status != "computed"]
    assert sorted(completeness(sheet)[2]) == sorted(required_drafts)
    assert all(sheet.prompt(pid).status == "draft" for pid in required_drafts)
    for pid in drafted:
        settled["answers"][pid]["reviewed"] = True
    write_answers(loaded, settled)
    require_answers(loaded)  # reviewed and attested by the file's defaults: complete


def _cli(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATAVET_PROJECT": str(project), "DATAVET_HOME": str(project / ".datavet")}
    return subprocess.run([DATAVET, *args], cwd=project, env=env, capture_output=True, text=True, timeout=120)


def test_init_refresh_rewrites_stale_drafts_and_keeps_answers(tmp_path) -> None:
    spec = titanic_spec(DATA / "titanic_train.csv")
    loaded = write_spec(tmp_path, spec)
    assert _cli(tmp_path, "datasheet", "init", str(loaded.path)).returncode == 0
    data = yaml.safe_load(loaded.answers_path.read_text(encoding="utf-8"))
    assert "Name" in data["answers"]["C14"]["answer"] and data["answers"]["C14"]["reviewed"] is False
    data["attested_by"], data["attested_on"] = "qa@example.org", "2026-01-15"
    data["answers"]["M1"] = {"answer": "Kaggle's introductory competition, from Encyclopedia Titanica."}
    data["answers"]["X1"]["reviewed"] = True
    write_answers(loaded, data)
    # the column is renamed in the spec (and the data): the C14 draft now names a column that is gone
    spec["columns"]["Passenger name"] = spec["columns"].pop("Name")
    loaded = write_spec(tmp_path, spec)

    refused = _cli(tmp_path, "datasheet", "init", str(loaded.path))
    assert refused.returncode == 2 and "--refresh" in refused.stderr
    proc = _cli(tmp_path, "datasheet", "init", str(loaded.path), "--refresh")
    assert proc.returncode == 0, proc.stderr
    answers = load_answers(loaded.answers_path, loaded)
    c14 = answers.get("C14")
    assert "Passenger name" in c14.answer and "Name," not in c14.answer and c14.reviewed is False
    assert answers.get("M1").answer == data["answers"]["M1"]["answer"]
    assert answers.get("X1").reviewed is True and answers.get("X1").answer == data["answers"]["X1"]["answer"]
    assert (answers.attested_by, str(answers.attested_on)) == ("qa@example.org", "2026-01-15")
