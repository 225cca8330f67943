"""The spec: the example contract parses; every bad spec lists file, key path and fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from datavet.errors import SpecError
from datavet.spec import DatasetSpec, load_spec, parse_spec, spec_json_schema
from tests.conftest import ADULT_SPEC, REPO, example_spec_dict


def test_example_spec_from_the_reference_parses():
    spec = parse_spec(example_spec_dict(), Path("example.yaml"))
    assert spec.columns_with_role("protected") == ["sex", "race"]
    assert spec.checks.missingness.columns == {"occupation": 0.06}
    assert spec.checks.geography[0].reference == "world_population"
    assert spec.positive_value("income") == ">50K"


def test_repository_spec_loads_with_paths_resolved_from_the_project_root():
    loaded = load_spec(ADULT_SPEC)
    assert loaded.root == REPO
    assert loaded.source_path == (REPO.parent / "shared" / "data" / "adult.data").resolve()
    assert loaded.answers_path == REPO / "datasheets" / "adult" / "answers.yaml"


@pytest.mark.parametrize(("mutate", "expected"), [
    (lambda d: d.update(bogus=1), "bogus: Extra inputs are not permitted"),
    (lambda d: d["columns"]["sex"].update(role="prot"), "columns.sex.role"),
    (lambda d: d["checks"]["representation"][0].update(min_ratio=-1), "checks.representation.0.min_ratio"),
    (lambda d: d["checks"]["missingness"].update(max_rate=1.5), "checks.missingness.max_rate"),
    (lambda d: d["checks"]["representation"][0].update(reference={"Male": 0, "Female": 0}), "sum to 0"),
    (lambda d: d["checks"]["representation"][0].update(reference={}), "reference is empty"),
    (lambda d: d["checks"]["intersectional"][0].update(columns=["sex"]), "checks.intersectional.0.columns"),
    (lambda d: d["columns"]["income"].pop("positive"), "needs a positive value"),
    (lambda d: d.pop("owner"), "owner: Field required (add it)"),
    (lambda d: d.update(name="Bad Name!"), "name: String should match pattern"),
    (lambda d: d["checks"]["missingness"]["parity"][0].pop("max_diff"), "give max_diff"),
    (lambda d: d.update(small_cell_threshold=0), "small_cell_threshold"),
])
def test_bad_spec_names_key_path_and_fix(mutate, expected):
    data = example_spec_dict()
    mutate(data)
    with pytest.raises(SpecError) as err:
        parse_spec(data, Path("datasheets/adult/dataset.yaml"))
    assert expected in str(err.value)
    assert "datasheets/adult/dataset.yaml" in str(err.value)


def test_every_problem_is_listed_at_once():
    data = example_spec_dict()
    data["bogus"] = 1
    data["columns"]["sex"]["role"] = "prot"
    data["checks"]["representation"][0]["max_tvd"] = 2
    with pytest.raises(SpecError) as err:
        parse_spec(data, Path("x.yaml"))
    assert len(err.value.problems) == 3


def test_spec_file_errors(tmp_path):
    with pytest.raises(SpecError, match="no such file"):
        load_spec(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(SpecError, match="not valid YAML"):
        load_spec(bad)
    bad.write_text("- a list\n")
    with pytest.raises(SpecError, match="must be a YAML mapping"):
        load_spec(bad)


def test_answers_path_outside_the_project_is_refused(tmp_path):
    data = example_spec_dict()
    data["datasheet"] = "../../outside/answers.yaml"
    folder = tmp_path / "datasheets" / "adult"
    folder.mkdir(parents=True)
    (folder / "dataset.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(SpecError, match="points outside the project"):
        load_spec(folder / "dataset.yaml")


def test_spec_name_must_match_its_folder(tmp_path):
    folder = tmp_path / "datasheets" / "census"
    folder.mkdir(parents=True)
    (folder / "dataset.yaml").write_text(yaml.safe_dump(example_spec_dict()))
    with pytest.raises(SpecError, match="differs from its folder 'census'"):
        load_spec(folder / "dataset.yaml")


def test_committed_json_schema_is_current():
    committed = (REPO / "schemas" / "dataset.schema.json").read_text()
    assert committed == spec_json_schema(), "run `datavet schema` and commit schemas/"
    schema = json.loads(committed)
    assert schema["additionalProperties"] is False
    assert set(DatasetSpec.model_fields) == set(schema["properties"])


def test_schedule_must_be_one_airflow_accepts():
    data = example_spec_dict()
    data["schedule"] = "every tuesday"
    with pytest.raises(SpecError, match="schedule: .*not an Airflow schedule"):
        parse_spec(data, Path("x.yaml"))
    for ok in ("@daily", "0 3 * * 1", None):
        data["schedule"] = ok
        assert parse_spec(data, Path("x.yaml")).schedule == ok


def test_positive_label_value_is_compared_stripped():
    data = example_spec_dict()
    data["columns"]["income"]["positive"] = " >50K"
    data["checks"]["label_balance"][0]["positive"] = ">50K "
    spec = parse_spec(data, Path("x.yaml"))
    assert spec.columns["income"].positive == ">50K" and spec.checks.label_balance[0].positive == ">50K"


def test_relative_state_paths_become_absolute(tmp_path, monkeypatch):
    from datavet.settings import Settings

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATAVET_HOME", ".dv")
    monkeypatch.delenv("DATAVET_REGISTRY", raising=False)
    monkeypatch.delenv("DATAVET_REMOTE", raising=False)
    settings = Settings.from_env(tmp_path)
    assert settings.registry == tmp_path / ".dv" / "registry"
    assert settings.remote == str(tmp_path / ".dv" / "remote")
    monkeypatch.setenv("DATAVET_REMOTE", "s3://bucket/datavet")
    assert Settings.from_env(tmp_path).remote == "s3://bucket/datavet"


def test_committed_suite_is_what_the_spec_generates(tmp_path):
    """expectations/ holds the suites as GX writes them from the specs: regenerate and commit on change."""
    from datavet.checks import build_suite
    from datavet.settings import Settings

    settings = Settings(project=tmp_path, registry=tmp_path / "registry", remote=str(tmp_path / "remote"),
                        gx_root=tmp_path / "gx")
    (tmp_path / "expectations").mkdir()
    committed = REPO / "expectations" / "adult.json"
    (tmp_path / "expectations" / "adult.json").write_bytes(committed.read_bytes())  # GX keeps the suite's id
    generated = build_suite(load_spec(ADULT_SPEC), settings)
    assert generated.read_bytes() == committed.read_bytes(), \
        "run `datavet check datasheets/adult/dataset.yaml` and commit expectations/adult.json"
