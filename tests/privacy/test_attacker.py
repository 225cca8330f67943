"""An outside reader (tests/privacy/attacker.py, independent of datavet.privacy) reads what datavet
publishes about real datasets and must recover no withheld cell; large groups keep exact figures; a
threshold of 1 publishes everything exactly."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from datavet.changes import metrics_of
from datavet.checks import run_checks
from datavet.ingest import read_source
from tests.checks.conftest import DATA, adult_spec, base_spec, make_loaded
from tests.checks.test_datasets import bank_spec, german_spec
from tests.datasheet.conftest import titanic_spec
from tests.privacy.attacker import recovered


def _adult() -> dict:
    spec = adult_spec()
    spec["checks"]["missingness"]["parity"].append({"column": "occupation", "by": ["sex", "race"], "max_diff": 1.0})
    spec["checks"]["label_balance"].append({"label": "income", "by": ["sex", "race"]})
    spec["checks"]["label_balance"].append({"label": "income", "by": "race"})
    spec["checks"]["representation"].append({"column": "native-country"})
    return spec


def _fairface() -> dict:
    spec = base_spec("fairface_manifest", DATA / "fairface_label_val.csv")
    spec["columns"] = {"race": {"role": "protected"}, "age": {"role": "protected"},
                       "service_test": {"role": "label", "positive": "True"}}
    spec["checks"] = {"representation": [{"column": "race"}, {"column": "age"}, {"column": "gender"}],
                      "intersectional": [{"columns": ["race", "age"], "min_count": 1}],
                      "label_balance": [{"label": "service_test", "by": ["gender", "age"]},
                                        {"label": "service_test", "by": "age"}]}
    return spec


def _compas_like(tmp: Path) -> dict:
    """COMPAS is not in ../shared/data: a COMPAS-sized case from real rows (the first 2,000 of Adult),
    where race groups are large but their positives and missing cells are small."""
    raw = pd.read_csv(DATA / "adult.data", header=None, skipinitialspace=True, dtype=str,
                      names=adult_spec()["source"]["options"]["names"]).iloc[:2000]
    path = tmp / "compas_like.csv"
    raw.to_csv(path, index=False)
    spec = base_spec("compas_like", path, missing_tokens=["?"])
    spec["columns"] = {"race": {"role": "protected"}, "income": {"role": "label", "positive": ">50K"}}
    spec["checks"] = {"missingness": {"parity": [{"column": "occupation", "by": "race", "max_diff": 1.0},
                                                 {"column": "workclass", "by": "sex", "max_diff": 1.0}]},
                      "representation": [{"column": "race", "min_count": 10}],
                      "intersectional": [{"columns": ["race", "sex"], "min_count": 1}],
                      "label_balance": [{"label": "income", "by": "race"}, {"label": "income", "by": ["race", "sex"]}]}
    return spec


SPECS = {"adult": lambda tmp: _adult(), "titanic": lambda tmp: titanic_spec(DATA / "titanic_train.csv"),
         "german": lambda tmp: german_spec(), "bank": lambda tmp: bank_spec(), "fairface": lambda tmp: _fairface(),
         "compas_like": _compas_like}


@pytest.fixture(scope="module", params=sorted(SPECS))
def checked(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(request.param)
    loaded, settings = make_loaded(tmp, SPECS[request.param](tmp))
    raw = read_source(loaded)
    report = run_checks(loaded, raw, engine="pandas", settings=settings, store=False)
    return request.param, loaded, raw, report


def _numbers(value, out: set) -> set:
    if isinstance(value, dict):
        for v in value.values():
            _numbers(v, out)
    elif isinstance(value, list):
        for v in value:
            _numbers(v, out)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        out.add(round(float(value), 12))
    return out


def test_the_reader_recovers_no_withheld_cell(checked):
    name, loaded, raw, report = checked
    k = loaded.spec.small_cell_threshold
    doc = json.loads(report.published(k).to_json())
    assert recovered(doc, k) == []
    # the DVC metrics say nothing the published report does not (beyond how many checks passed)
    metrics = {key: v for key, v in metrics_of(report, k).items() if key not in ("checks_passed", "checks_failed")}
    assert _numbers(metrics, set()) <= _numbers(doc, set())
    # and something was at stake: the exact report has small cells the reader would want
    assert any(0 < n < k for c in report.checks for n in _numbers(c.observed.get("counts") or {}, set())
               | _numbers(c.observed.get("cell_counts") or {}, set()) | _numbers(c.observed.get("rows") or {}, set())) \
        or name in ("german", "bank", "compas_like")


def test_the_old_rule_leaked_what_this_reader_finds(checked):
    """The reader is not blind: on the figures the checks computed, with only the small counts shown
    as "<k" (the rule before the privacy layer), it does recover cells."""
    name, loaded, _, report = checked
    k = loaded.spec.small_cell_threshold
    doc = json.loads(report.to_json())
    for c in doc["checks"]:
        for key in ("counts", "cell_counts", "rows", "group_rows"):
            if isinstance(c["observed"].get(key), dict):
                c["observed"][key] = {g: (f"<{k}" if isinstance(n, int) and 0 < n < k else n)
                                      for g, n in c["observed"][key].items()}
    if name in ("adult", "titanic", "fairface", "compas_like", "german", "bank"):
        assert recovered(doc, k), name


def test_large_groups_keep_exact_figures(checked):
    name, loaded, raw, report = checked
    published = report.published(loaded.spec.small_cell_threshold)
    if name != "adult":
        return
    race = next(c for c in published.checks if c.check == "representation" and c.column == "race")
    counts = raw["race"].value_counts()
    for g, n in counts.items():
        if n >= 100:
            assert race.observed["counts"][g] == int(n) and race.observed["shares"][g] == pytest.approx(n / len(raw))
    balance = next(c for c in published.checks if c.check == "label_balance" and c.by == "sex")
    want = (raw["income"] == ">50K").groupby(raw["sex"]).mean()
    assert balance.observed["positive_rates"] == pytest.approx(want.to_dict())


def test_threshold_one_publishes_everything_exactly(checked):
    _, _, _, report = checked
    published = report.published(1)
    assert [c.observed for c in published.checks] == [c.observed for c in report.checks]
    assert published.withheld_cells == []
