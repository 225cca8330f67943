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
    # every cell has >= 10 rows, but a rate is published only when its survivors and its deaths are each
    # 0 or at least 10 (female | 1: 3 deaths in 94), and only as computed
    got = {r.group: r.rate for r in by_class.positive_rates}
    survived = grouped.sum()
    unsafe = {f"{s} | {p}" for (s, p), n in grouped.size().items() if any(0 < x < 10 for x in (survived[(s, p)],
                                                                                              n - survived[(s, p)]))}
    assert "female | 1" in unsafe and all(got[g] is None for g in unsafe)
    assert all(got[g] is None or got[g] == rates[g] for g in rates) and any(got[g] == rates[g] for g in rates)
    best, worst = max(rates, key=rates.get), min(rates, key=rates.get)
    assert (by_class.best_cell.group, by_class.best_cell.rate) == (best, None) and best == "female | 1"
    assert by_class.best_cell.rows.value in (rows[best], None)
    assert by_class.worst_cell.group == worst and by_class.worst_cell.rate in (rates[worst], None)
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
    sizes, missed = age.size(), age.sum()
    for g, v in missing.items():  # a rate whose missing or present cells are small is withheld
        key = tuple(g.split(" | "))
        if any(0 < x < 10 for x in (missed[key], sizes[key] - missed[key])):
            assert published[g] is None, g
        assert published[g] in (v, None), g
    high = max(missing, key=missing.get)
    assert parity.worst_cell.group == high and parity.worst_cell.rate in (missing[high], None)
    md, html = render_markdown(sheet), render_html(sheet)
    cabins = {c for c in df["Cabin"].dropna().astype(str) if len(c) > 2}  # "T", "D" are in column names
    assert not any(f"| {c}" in md or f"{c} |" in md for c in cabins)
    assert "96.8%" not in md and "96.8%" not in html  # female | 1's rate, withheld
