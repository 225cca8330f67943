"""The datasheet figures of ``by`` as a list: every cell's rate as published (masked part by part for a
private attribute, withheld under the small-cell threshold), the best and worst cell with their rows,
in the JSON, the Markdown and the HTML chart."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from datavet.datasheet import build_datasheet
from datavet.datasheet.render import render_html, render_markdown
from tests.datasheet.conftest import DATA, titanic_spec
from tests.datasheet.test_group_sizes import _run


def test_titanic_survival_by_sex_and_class(tmp_path: Path) -> None:
    checks = {"missingness": {"parity": [{"column": "Age", "by": ["Sex", "Embarked"], "max_diff": 1.0}]},
              "representation": [{"column": "Cabin"}],
              "label_balance": [{"label": "Survived", "by": ["Sex", "Pclass"], "min_disparate_impact": 0.1},
                                {"label": "Survived", "by": ["Sex", "Cabin"]}]}
    loaded, parquet, md5, df, report = _run(tmp_path, titanic_spec(DATA / "titanic_train.csv", checks=checks))
    sheet = build_datasheet(loaded, report, parquet, data_md5=md5)
    raw = pd.read_csv(DATA / "titanic_train.csv")
    grouped = (raw["Survived"] == 1).groupby([raw["Sex"], raw["Pclass"]])
    rates = {f"{s} | {p}": v for (s, p), v in grouped.mean().items()}
    rows = {f"{s} | {p}": n for (s, p), n in grouped.size().items()}
    by_class, by_cabin = sheet.computed.label.balance[:2]  # the spec's own; default breakdowns follow
    assert by_class.by == "Sex x Pclass"
    assert {r.group: r.rate for r in by_class.positive_rates} == rates  # every cell has >= 10 rows
    best, worst = max(rates, key=rates.get), min(rates, key=rates.get)
    assert (by_class.best_cell.group, by_class.best_cell.rate, by_class.best_cell.rows.value) == (
        best, rates[best], rows[best]) == ("female | 1", 91 / 94, 94)
    assert (by_class.worst_cell.group, by_class.worst_cell.rate, by_class.worst_cell.rows.value) == (
        worst, rates[worst], rows[worst])
    # Cabin is sensitive: its part of every cell is a label, never a cabin number; cabins hold < 10 rows
    assert all(r.group.split(" | ")[1].startswith("Cabin group ") for r in by_cabin.positive_rates)
    assert all(r.withheld and r.rate is None for r in by_cabin.positive_rates)
    assert by_cabin.best_cell.withheld and by_cabin.best_cell.rows.display == "<10"
    assert by_cabin.best_cell.group.startswith(("male | Cabin group ", "female | Cabin group "))
    parity = sheet.computed.parity[0]  # the spec's own; default breakdowns follow
    age = raw["Age"].isna().groupby([raw["Sex"], raw["Embarked"]])
    missing = {f"{s} | {e}": v for (s, e), v in age.mean().items()}
    published = {r.group: r.rate for r in parity.groups}
    assert published["<missing>"] is None  # the 2 rows without a port
    assert {g: published[g] for g in missing} == {g: (v if age.size()[tuple(g.split(" | "))] >= 10 else None)
                                                  for g, v in missing.items()}
    high = max(missing, key=missing.get)
    assert parity.worst_cell.group == high and parity.worst_cell.rate == missing[high]
    md, html = render_markdown(sheet), render_html(sheet)
    cabins = {c for c in df["Cabin"].dropna().astype(str) if len(c) > 2}  # "T", "D" are in column names
    assert not any(f"| {c}" in md or f"{c} |" in md for c in cabins)
    assert f"Highest: {best} (96.8%, 94 rows)" in md.replace("\\|", "|")
    assert f"highest: {best} (96.8%, 94 rows)" in html
