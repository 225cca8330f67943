"""A rate is published only when the figure it comes from says its group has at least the
small-cell threshold of rows: label balance and missingness parity carry their own group sizes
(``rows``, ``group_rows``), the parity ``<missing>`` group is checked like any other, region shares
go through the same rule, and a group whose size is unknown is withheld, never published."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from datavet.checks import run_checks
from datavet.datasheet import build_datasheet, render_all
from datavet.figures.outcome import Violation
from datavet.ingest import read_source, write_parquet
from datavet.report import CheckReport, CheckResult
from datavet.settings import Settings
from tests.datasheet.conftest import DATA, full_answers, titanic_spec, write_answers, write_spec


def _run(root: Path, spec: dict, df: pd.DataFrame | None = None):
    loaded = write_spec(root, spec)
    write_answers(loaded, full_answers(spec["name"]))
    df = read_source(loaded) if df is None else df
    parquet = root / "v.parquet"
    md5 = write_parquet(df, parquet)
    settings = Settings(project=root, registry=root / "r", remote=str(root / "remote"), gx_root=root / "gx")
    report = run_checks(loaded, parquet, data_hash=md5, settings=settings, store=False)
    return loaded, parquet, md5, df, report


def test_titanic_rates_of_small_groups_are_withheld_without_a_representation_check(tmp_path: Path) -> None:
    checks = {"missingness": {"parity": [{"column": "Age", "by": "Embarked", "max_diff": 1.0}]},
              "label_balance": [{"label": "Survived", "by": "Parch"}]}  # no representation of Parch/Embarked
    loaded, parquet, md5, df, report = _run(tmp_path, titanic_spec(DATA / "titanic_train.csv", checks=checks))
    sheet = build_datasheet(loaded, report, parquet, data_md5=md5)
    parch = df["Parch"].astype(str).value_counts()
    assert {g for g, n in parch.items() if n < 10} == {"3", "4", "5", "6"}  # 5, 4, 5 and 1 rows
    balance = sheet.computed.label.balance[0]  # the spec's own; default breakdowns follow
    rates = {r.group: r for r in balance.positive_rates}
    for g, n in parch.items():
        assert rates[g].withheld is (n < 10) and (rates[g].rate is None) is (n < 10), g
    parity = sheet.computed.parity[0]  # the spec's own; default breakdowns follow
    groups = {r.group: r for r in parity.groups}
    assert int(df["Embarked"].isna().sum()) == 2
    assert groups["<missing>"].withheld and groups["<missing>"].rate is None  # 2 rows
    assert not groups["S"].withheld and groups["S"].rate is not None


def test_small_regions_are_withheld(tmp_path: Path) -> None:
    df = pd.DataFrame({"country": ["USA"] * 40 + ["FRA"] * 3 + ["JPN"] * 12, "y": ["1", "0"] * 27 + ["1"]})
    spec = {"name": "geo", "title": "t", "owner": "o@example.org", "license": "CC0",
            "source": {"path": "v.parquet"}, "small_cell_threshold": 10,
            "columns": {"country": {"role": "geography"}, "y": {"role": "label", "positive": "1"}},
            "checks": {"geography": [{"column": "country"}]}}
    loaded, parquet, md5, _, report = _run(tmp_path, spec, df)
    sheet = build_datasheet(loaded, report, parquet, data_md5=md5)
    regions = {r.group: r for r in sheet.computed.geography[0].regions}
    assert regions["Europe"].withheld and regions["Europe"].rate is None  # 3 rows
    # 55 rows in all: Asia's and America's shares would give Europe's 3 back, so one of them is withheld too
    assert regions["Asia"].rate == 12 / 55 and regions["America"].withheld and regions["America"].rate is None


def test_a_group_of_unknown_size_is_withheld(titanic, tmp_path: Path) -> None:
    """A label balance without group sizes (an older report) publishes no per-group rate."""
    old = CheckResult(check="label_balance", column="Survived", by="Pclass", success=True,
                      observed={"positive_rates": {"1": 0.63, "2": 0.47, "3": 0.24}, "disparate_impact": 0.38,
                                "parity_difference": 0.39})
    checks = [c for c in titanic.report.checks if c.check != "label_balance"] + [old]
    report = CheckReport(**{**titanic.report.model_dump(), "checks": [c.model_dump() for c in checks]})
    sheet = build_datasheet(titanic.loaded, report, titanic.parquet, data_md5=titanic.md5)
    balance = sheet.computed.label.balance[0]  # the spec's own; default breakdowns follow
    assert all(r.withheld and r.rate is None for r in balance.positive_rates)
    assert balance.disparate_impact is None  # built on the rates of groups of unknown size: withheld with them


def test_failure_texts_name_private_groups_as_the_sections_do(titanic) -> None:
    """group-k of a private column is "<column> group k" in the check outcomes too, and its small
    count is said in words (before, the digit of "group-2" itself was taken for a small count)."""
    violations = [Violation("counts", "min_count", 10, "<", 4, group="group-2", count=True),
                  Violation("shares", "min_share", 0.1, "<", 0.0909, group="group-2")]
    failed = CheckResult(check="representation", column="Cabin", success=False,
                         observed={"counts": {"group-1": 40, "group-2": 4}},
                         failures=[v.render() for v in violations], violations=[v.as_json() for v in violations])
    report = CheckReport(**{**titanic.report.model_dump(), "checks": [
        *(c.model_dump() for c in titanic.report.checks), failed.model_dump()]})
    sheet = build_datasheet(titanic.loaded, report, titanic.parquet, data_md5=titanic.md5)
    outcome = next(o for o in sheet.validation.checks if o.failures and o.subject == "Cabin")
    assert outcome.failures == ["counts[Cabin group 2]: fewer than 10 rows (exact count withheld), below min_count 10",
                                "shares[Cabin group 2] = withheld (small cell) < min_share 0.1"]


def test_a_limit_below_the_threshold_is_never_masked_as_a_count(titanic, tmp_path) -> None:
    """min_count 5 with small_cell_threshold 10: the datasheet said "= <10 < min_count <10"; every
    document now says the count in words and the limit as set."""
    violation = Violation("counts", "min_count", 5, "<", 3, group="group-2", count=True)
    failed = CheckResult(check="representation", column="Cabin", success=False,
                         observed={"counts": {"group-1": 40, "group-2": 3}}, thresholds={"min_count": 5},
                         failures=[violation.render()], violations=[violation.as_json()])
    report = CheckReport(**{**titanic.report.model_dump(), "checks": [
        *(c.model_dump() for c in titanic.report.checks), failed.model_dump()]})
    sheet = build_datasheet(titanic.loaded, report, titanic.parquet, data_md5=titanic.md5)
    docs = {kind: path.read_text() for kind, path in render_all(sheet, tmp_path).items()}
    wording = "counts[Cabin group 2]: fewer than 10 rows (exact count withheld), below min_count 5"
    for kind, text in docs.items():
        text = text.replace("\\", "")  # Markdown escapes [ ] _
        assert wording in text, kind
        assert "min_count <10" not in text, kind
