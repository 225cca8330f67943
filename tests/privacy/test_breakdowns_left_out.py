"""A default breakdown (label balance or missingness by every protected attribute and their
intersection, which the spec does not name) whose small cells no suppression can protect is left out
whole: the run publishes, the breakdown carries no figure, the reader recovers nothing, and the spec's
own checks keep their exact large figures. On UCI Adult with age banded (age x race x sex has cells of
one person whose row count another table gives back)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from datavet.privacy.publish import _get, declare
from tests.checks.conftest import ADULT_NAMES, DATA, Project, adult_spec
from tests.privacy.attacker import recovered

LEFT_OUT = "left out: no suppression protects"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    spec = adult_spec()
    spec["columns"]["age"] = {"role": "protected", "bins": [18, 25, 35, 50, 65], "labels": ["18-24", "25-34",
                                                                                             "35-49", "50-64"]}
    spec["checks"] = {"representation": [{"column": "race", "min_count": 1}, {"column": "age", "min_count": 1}],
                      "label_balance": [{"label": "income", "by": "sex"}, {"label": "income", "by": "age"}],
                      "missingness": {"max_rate": 1.0,
                                      "parity": [{"column": "occupation", "by": "age", "max_diff": 1.0}]}}
    project = Project(tmp_path_factory.mktemp("left-out"), spec)
    return project.run("duckdb", store=False)


def test_an_unprotectable_breakdown_is_left_out_not_published(report):
    published = report.published(10)
    left = [c for c in published.checks if any(n.startswith(LEFT_OUT) for n in c.notes)]
    assert left, "Adult's age x race x sex breakdown has cells no suppression protects"
    for c in left:
        assert c.breakdown  # only default breakdowns are ever left out
        exact = next(r for r in report.checks if (r.check, r.subject) == (c.check, c.subject))
        # every figure its check type declares is withheld (zeros too): what stays is not a figure of people
        tables = declare([exact])
        for f in tables.figures:
            value = _get(c.observed, f.path)
            assert value is None or isinstance(value, str), (c.subject, f.path, value)
    doc = json.loads(published.to_json())
    assert recovered(doc, 10) == []


def test_the_specs_own_checks_keep_large_figures_exact(report):
    raw = pd.read_csv(DATA / "adult.data", header=None, names=ADULT_NAMES, skipinitialspace=True,
                      keep_default_na=False)
    published = report.published(10)
    race = next(c for c in published.checks if c.check == "representation" and c.column == "race")
    for group, n in raw["race"].value_counts().items():
        if n >= 100:
            assert race.observed["counts"][group] == int(n)
    balance = next(c for c in published.checks if c.check == "label_balance" and c.by == "sex" and not c.breakdown)
    want = (raw["income"] == ">50K").groupby(raw["sex"]).mean()
    assert balance.observed["positive_rates"] == pytest.approx(want.to_dict())


def test_threshold_one_leaves_nothing_out(report):
    published = report.published(1)
    assert not [c for c in published.checks if any(n.startswith(LEFT_OUT) for n in c.notes)]
    assert [c.observed for c in published.checks] == [c.observed for c in report.checks]
