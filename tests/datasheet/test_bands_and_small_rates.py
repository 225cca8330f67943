"""Charts and tables keep a binned column's bands in their own order (lowest first), and write small
rates with enough precision: no "0.0%" for a non-zero bar, no two axis ticks that read the same.
Figures against pandas on UCI Adult."""

from __future__ import annotations

import html
import math
import re

import pandas as pd
import pytest

from datavet.datasheet import build_datasheet
from datavet.datasheet.render import render_html, render_markdown
from datavet.datasheet.views import bar_chart, charts_for, pct
from tests.checks.conftest import ADULT_NAMES, DATA, Project, adult_spec

EDGES = [18, 25, 35, 50, 65]
BANDS = ["18-24", "25-34", "35-49", "50-64"]
ORDER = ["< 18", *BANDS, ">= 65"]


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    return pd.read_csv(DATA / "adult.data", header=None, names=ADULT_NAMES, skipinitialspace=True,
                       keep_default_na=False)


@pytest.fixture(scope="module")
def sheet(tmp_path_factory):
    spec = adult_spec()
    spec["columns"]["age"] = {"role": "protected", "bins": EDGES, "labels": BANDS}
    spec["checks"] = {"representation": [{"column": "age", "min_count": 1}],
                      "label_balance": [{"label": "income", "by": "age"}],
                      "missingness": {"max_rate": 1.0,
                                      "parity": [{"column": "occupation", "by": "age", "max_diff": 1.0}]}}
    project = Project(tmp_path_factory.mktemp("bands"), spec)
    report = project.run("duckdb", store=False)
    return build_datasheet(project.loaded, report, project.parquet, data_md5=project.md5)


def bands_of(raw: pd.DataFrame) -> pd.Series:
    cut = pd.cut(raw["age"], [-math.inf, *EDGES, math.inf], right=False, labels=ORDER)
    return cut.astype(str)


def test_bands_keep_their_order_in_tables_and_charts(sheet, raw):
    present = [b for b in ORDER if (bands_of(raw) == b).any()]  # Adult has no one under 17, some over 65
    (rep,) = sheet.computed.representation
    assert [g.group for g in rep.groups] == present
    counts = bands_of(raw).value_counts()
    assert [g.share for g in rep.groups] == pytest.approx([counts[b] / len(raw) for b in present], abs=1e-12)
    assert sorted(present, key=lambda b: -counts[b]) != present  # by count the order would differ
    balance = sheet.computed.label.balance[0]  # the spec's own; default breakdowns follow
    assert [r.group for r in balance.positive_rates] == present
    positive = (raw["income"] == ">50K").groupby(bands_of(raw)).mean()
    assert [r.rate for r in balance.positive_rates] == pytest.approx([positive[b] for b in present], abs=1e-12)
    parity = sheet.computed.parity[0]  # the spec's own; default breakdowns follow
    assert [r.group for r in parity.groups] == present
    charts = charts_for(sheet)
    assert [b.full_label for b in charts["representation"][0].bars] == present
    assert [b.full_label for b in charts["label"][1].bars] == present
    markdown = html.unescape(render_markdown(sheet))
    table = markdown.split("**age**", 1)[1].split("\n\n", 2)[1]  # the subpopulations table of age
    assert [line.split("|")[1].strip() for line in table.splitlines()[2:]] == present


def written_percent(text: str) -> tuple[float, int]:
    """'0.031%' -> (0.031, 3 decimals)."""
    number = re.match(r"(\d+(?:\.(\d+))?)%", text)
    assert number, text
    return float(number.group(1)), len(number.group(2) or "")


def test_small_rates_are_written_with_enough_precision(raw):
    """The smallest published native-country shares of Adult (groups of at least 10 rows, all below
    0.1 %): every bar reads non-zero and within half its last digit of pandas' share; ticks are distinct."""
    shares = raw["native-country"].value_counts(normalize=True)
    counts = raw["native-country"].value_counts()
    small = shares[(counts >= 10) & (shares < 0.001)].sort_values().iloc[:10]  # one chart holds 14 bars
    assert len(small) >= 3
    rows = [(name, share, pct(share), None) for name, share in small.items()]
    chart = bar_chart("small", "small shares", "", rows)
    for bar, share in zip(chart.bars, small, strict=True):
        value, digits = written_percent(bar.value_text)
        assert value > 0 and abs(value - 100 * share) <= 0.5 * 10 ** -digits + 1e-12, bar.value_text
    labels = [text for _, text in chart.ticks]
    assert len(set(labels)) == len(labels), labels
    top = chart.ticks[-1][1]
    assert written_percent(top)[0] >= 100 * small.max()  # the axis reaches the longest bar
    assert all(0 < b.width <= 240 for b in chart.bars)


def test_no_zero_percent_for_a_non_zero_figure_in_the_documents(sheet):
    """Every share or rate printed as 0.0% in the card or the page is one that is exactly zero."""
    html = render_html(sheet)
    figures = [g.share for r in sheet.computed.representation for g in r.groups] + \
              [r.rate for b in sheet.computed.label.balance for r in b.positive_rates] + \
              [r.rate for p in sheet.computed.parity for r in p.groups]
    nonzero = [f for f in figures if f]
    assert nonzero and all(pct(f) != "0.0%" for f in nonzero)
    rep = [g.share for r in sheet.computed.representation for g in r.groups if g.share]
    assert all(pct(f) in html for f in rep)
