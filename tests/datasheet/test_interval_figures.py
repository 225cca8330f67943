"""The datasheet charts of checks with ``confidence``: every published share and positive rate carries
its Wilson score interval (scipy), drawn as a whisker in the HTML chart; a withheld group has none."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from scipy.stats import binomtest

from datavet.datasheet import build_datasheet
from datavet.datasheet.render import render_html
from tests.datasheet.conftest import DATA, titanic_spec
from tests.datasheet.test_group_sizes import _run


def wilson(k: int, n: int) -> list[float]:
    ci = binomtest(k, n).proportion_ci(confidence_level=0.9, method="wilson")
    return [float(ci.low), float(ci.high)]


def test_titanic_intervals_in_figures_and_charts(tmp_path: Path) -> None:
    checks = {"representation": [{"column": "Embarked", "min_share": 0.05, "confidence": 0.9}],
              "label_balance": [{"label": "Survived", "by": "Parch", "min_disparate_impact": 0.1, "confidence": 0.9,
                                 "decide_on": "interval"}]}
    loaded, parquet, md5, df, report = _run(tmp_path, titanic_spec(DATA / "titanic_train.csv", checks=checks))
    sheet = build_datasheet(loaded, report, parquet, data_md5=md5)
    raw = pd.read_csv(DATA / "titanic_train.csv")
    embarked = raw["Embarked"].value_counts()
    (rep,) = sheet.computed.representation
    assert rep.confidence == 0.9
    for g in rep.groups:
        assert g.interval == pytest.approx(wilson(int(embarked[g.group]), int(embarked.sum())), abs=1e-12)
    balance = sheet.computed.label.balance[0]  # the spec's own; default breakdowns follow
    tally = (raw["Survived"] == 1).groupby(raw["Parch"].astype(str)).agg(["sum", "count"])
    drawn = 0
    for r in balance.positive_rates:
        s, n = tally.loc[r.group]
        if n < 10:
            assert r.withheld and r.interval is None
        else:
            assert r.interval == pytest.approx(wilson(int(s), int(n)), abs=1e-12)
            drawn += 1
    assert balance.disparate_impact_interval is not None
    html = render_html(sheet)
    whiskers = len(re.findall(r'<line class="ci"', html))
    assert whiskers == 3 * (len(rep.groups) + drawn)  # one bar and two end caps per interval
    assert "90% Wilson score intervals" in html
