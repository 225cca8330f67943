"""Label values and reference groups written as YAML numbers or booleans (``positive: 1``,
``positive: true``, ``reference: {1: 0.25}``) are accepted and compared with the data's values as
text, the way the checks name groups (``str`` of the value: 1 -> "1", True -> "True")."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from datavet.checks import run_checks
from datavet.errors import SpecError
from datavet.spec import load_spec
from tests.checks.conftest import DATA, Project, base_spec, by_check, make_loaded


def titanic(positive, *, check_positive=None, reference=None) -> dict:
    survived = {"role": "label"} if positive is None else {"role": "label", "positive": positive}
    balance = {"label": "Survived", "by": "Sex"}
    if check_positive is not None:
        balance["positive"] = check_positive
    rep = {"column": "Pclass"} | ({"reference": reference} if reference else {})
    return base_spec("titanic", DATA / "titanic_train.csv",
                     columns={"Sex": {"role": "protected"}, "Pclass": {"role": "protected"}, "Survived": survived},
                     checks={"label_balance": [balance], "representation": [rep]})


def _survival_by_sex() -> dict[str, float]:
    df = pd.read_csv(DATA / "titanic_train.csv")
    return {sex: float((g["Survived"] == 1).sum() / len(g)) for sex, g in df.groupby("Sex")}


@pytest.mark.parametrize("spec", [titanic(1), titanic(None, check_positive=1)], ids=["column", "check"])
def test_a_numeric_positive_label(tmp_path, spec) -> None:
    project = Project(tmp_path, spec)
    assert project.loaded.spec.positive_value("Survived", project.loaded.spec.checks.label_balance[0].positive) == "1"
    (balance,) = by_check(project.run("duckdb", store=False), "label_balance")
    assert balance.observed["positive_rates"] == _survival_by_sex()


def test_a_boolean_positive_label(tmp_path) -> None:
    """FairFace's service_test column holds True/False: ``positive: true`` means the value True."""
    spec = base_spec("fairface", DATA / "fairface_label_val.csv",
                     columns={"gender": {"role": "protected"}, "service_test": {"role": "label", "positive": True}},
                     checks={"label_balance": [{"label": "service_test", "by": "gender"}]})
    project = Project(tmp_path, spec)
    assert project.loaded.spec.columns["service_test"].positive == "True"
    df = pd.read_csv(DATA / "fairface_label_val.csv", dtype=str, keep_default_na=False)  # the raw text
    expected = {g: float((part["service_test"] == "True").sum() / len(part)) for g, part in df.groupby("gender")}
    assert min(expected.values()) > 0
    (balance,) = by_check(project.run("duckdb", store=False), "label_balance")
    assert balance.observed["positive_rates"] == expected


def test_numeric_reference_keys(tmp_path) -> None:
    project = Project(tmp_path, titanic("1", reference={1: 0.25, 2: 0.25, 3: 0.5}))
    (rep,) = by_check(project.run("duckdb", store=False), "representation")
    df = pd.read_csv(DATA / "titanic_train.csv")
    share_1 = float((df["Pclass"] == 1).sum() / len(df))
    assert rep.observed["ratios"]["1"] == pytest.approx(share_1 / 0.25, abs=1e-12)


def test_a_positive_that_is_not_a_scalar_is_refused(tmp_path) -> None:
    with pytest.raises(SpecError) as err:
        make_loaded(tmp_path, titanic([1]))
    assert "columns.Survived.positive" in str(err.value)


def test_yes_is_the_word_yes(tmp_path) -> None:
    """Bank marketing's label y holds the words yes/no: ``positive: yes`` (unquoted) means the word."""
    spec = base_spec("bank", DATA / "bank_marketing_bank.csv",
                     columns={"marital": {"role": "protected"}, "y": {"role": "label"}},
                     checks={"label_balance": [{"label": "y", "by": "marital"}]})
    spec["source"]["options"] = {"sep": ";"}
    folder = tmp_path / "datasheets" / "bank"
    folder.mkdir(parents=True)
    text = yaml.safe_dump(spec, sort_keys=False).replace("role: label", "role: label\n    positive: yes")
    assert "positive: yes\n" in text
    (folder / "dataset.yaml").write_text(text, encoding="utf-8")
    loaded = load_spec(folder / "dataset.yaml")
    assert loaded.spec.columns["y"].positive == "yes"
    df = pd.read_csv(DATA / "bank_marketing_bank.csv", sep=";")
    expected = {m: float((g["y"] == "yes").sum() / len(g)) for m, g in df.groupby("marital")}
    report = run_checks(loaded, DATA / "bank_marketing_bank.csv", engine="pandas", store=False)
    (balance,) = by_check(report, "label_balance")
    assert balance.observed["positive_rates"] == expected
