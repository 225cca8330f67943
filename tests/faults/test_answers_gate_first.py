"""`datavet certify` refuses missing answers before it runs any check: nothing is validated, staged
or written to the GX store, and the message names the prompts."""

from __future__ import annotations

import yaml

from tests.faults.conftest import new_project


def test_certify_checks_the_answers_before_the_checks(tmp_path) -> None:
    project = new_project(tmp_path / "p")
    answers_path = project.spec_path.parent / "answers.yaml"
    data = yaml.safe_load(answers_path.read_text(encoding="utf-8"))
    data["answers"]["M1"] = {"answer": "Unknown"}
    del data["answers"]["C14"]
    answers_path.write_text(yaml.safe_dump(data), encoding="utf-8")

    proc = project.cli("certify", str(project.spec_path))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "unanswered: M1, C14" in proc.stderr and "placeholder" in proc.stderr, proc.stderr
    validations = project.root / "gx" / "uncommitted" / "validations"
    assert not validations.exists() or not any(validations.rglob("*.json"))  # GX never ran
    assert not list((project.settings.registry / ".staging").rglob("report*.json"))  # nothing staged
    assert not (project.root / "expectations" / "titanic.json").exists()  # the suite was not even built


def test_datasheet_names_a_malformed_answers_file_before_any_check(tmp_path) -> None:
    """`datavet datasheet` reads the answers first: a misspelt prompt id or broken YAML is reported as a
    problem of the answers file (named), not of the spec, and no check runs."""
    project = new_project(tmp_path / "p")
    answers_path = project.spec_path.parent / "answers.yaml"
    data = yaml.safe_load(answers_path.read_text(encoding="utf-8"))
    data["answers"]["M99"] = {"answer": "a prompt that does not exist"}
    answers_path.write_text(yaml.safe_dump(data), encoding="utf-8")
    proc = project.cli("datasheet", str(project.spec_path))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"{answers_path}: 1 problem(s) in the answers file" in proc.stderr, proc.stderr
    assert "'M99' is not one" in proc.stderr and "in the spec" not in proc.stderr
    assert "Traceback" not in proc.stderr
    answers_path.write_text("answers:\n  M1: {answer: [unclosed\n", encoding="utf-8")
    proc = project.cli("datasheet", str(project.spec_path))
    assert proc.returncode == 2 and "problem(s) in the answers file" in proc.stderr and "not valid YAML" in proc.stderr
    validations = project.root / "gx" / "uncommitted" / "validations"
    assert not validations.exists() or not any(validations.rglob("*.json"))  # no check ran
