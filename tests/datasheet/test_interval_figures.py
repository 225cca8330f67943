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
    # Embarked has 2 missing rows: its non-missing total is withheld (rows minus it gives them back), and
    # with it every share and interval (a share and its count give the total back)
    for g in rep.groups:
        assert g.interval is None and g.share is None and g.count.value in (int(embarked[g.group]), None)
    assert sum(g.count.value is not None for g in rep.groups) >= 2
    balance = sheet.computed.label.balance[0]  # the spec's own; default breakdowns follow
    tally = (raw["Survived"] == 1).groupby(raw["Parch"].astype(str)).agg(["sum", "count"])
    drawn = 0
    for r in balance.positive_rates:
        s, n = tally.loc[r.group]
        if any(0 < x < 10 for x in (s, n - s)):  # few survivors or few deaths: withheld
            assert r.withheld and r.interval is None
        elif r.interval is not None:
            assert r.interval == pytest.approx(wilson(int(s), int(n)), abs=1e-12)
            drawn += 1
    assert drawn >= 1
    assert balance.disparate_impact_interval is None  # built on every group's interval, withheld ones too
    html = render_html(sheet)
    whiskers = len(re.findall(r'<line class="ci"', html))
    assert whiskers == 3 * drawn  # one bar and two end caps per interval
    assert "90% Wilson score intervals" in html
