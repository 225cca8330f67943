"""The LP audit on real data: it sees the attacks of the issue under the old rule, passes what the
layer publishes, and fails closed with a clear error where no suppression can protect a cell."""

from __future__ import annotations

import pandas as pd
import pytest

from datavet.checks import run_checks
from datavet.errors import DatavetError, PrivacyError
from datavet.ingest import read_source
from datavet.privacy.audit import PRIMARY, Audit
from datavet.privacy.publish import declare
from datavet.privacy.suppress import decide, published_cells
from datavet.privacy.tables import describe
from tests.checks.conftest import DATA, adult_spec, base_spec, make_loaded
from tests.datasheet.conftest import titanic_spec


def _report(tmp_path, spec, frame=None):
    loaded, settings = make_loaded(tmp_path, spec)
    data = read_source(loaded) if frame is None else frame
    return run_checks(loaded, data, engine="pandas", settings=settings, store=False), data


def _pinned_under_primary_only(report, k=10):
    """The small cells a reader narrows down when only they are withheld (the rule before the layer)."""
    tables = declare(report.checks, report.positives)
    tables.always[()] = report.rows
    keys, relations = tables.closure()
    audit = Audit(keys, relations, k)
    in_figures = {c for f in tables.figures for c in f.cells}
    withheld = {c: PRIMARY for c in in_figures if 0 < tables.values.get(c, 0) < k}
    published = published_cells(tables, withheld)
    return {describe(c) for c in withheld if audit.pinned(c, published, withheld)}, tables, audit


def test_adult_netherlands_is_pinned_by_the_other_countries_and_then_protected(tmp_path):
    spec = adult_spec()
    spec["checks"] = {"geography": [{"column": "native-country"}]}
    report, raw = _report(tmp_path, spec)
    assert int((raw["native-country"] == "Holand-Netherlands").sum()) == 1
    pinned, tables, audit = _pinned_under_primary_only(report)
    assert "native-country iso NLD" in pinned  # resolved total (USA / USA's share) minus the others
    decision = decide(tables, 10, "adult")
    published = published_cells(tables, decision.withheld)
    small = [c for c, why in decision.withheld.items() if why == PRIMARY and c in tables.values]
    assert small and not any(audit.pinned(c, published, decision.withheld) for c in small)
    out = report.published(10)
    geo = next(c for c in out.checks if c.check == "geography").observed
    usa = int((raw["native-country"] == "United-States").sum())
    assert geo["counts"]["NLD"] == "<10" and geo["counts"]["USA"] == usa
    assert any(w["why"] == "complementary" for w in out.withheld_cells)


def test_titanic_parity_rates_times_sizes_would_give_embarked_missing_back(tmp_path):
    spec = titanic_spec(DATA / "titanic_train.csv")
    spec["checks"]["missingness"]["parity"] = [{"column": "Embarked", "by": "Sex", "max_diff": 1.0}]
    report, raw = _report(tmp_path, spec)
    missing = raw["Embarked"].isna().groupby(raw["Sex"]).sum()
    assert int(missing["female"]) == 2 and int(missing["male"]) == 0
    pinned, _, _ = _pinned_under_primary_only(report)
    assert "Embarked missing" in pinned  # missingness says "<10", parity's rate x rows says 2
    out = report.published(10)
    parity = next(c for c in out.checks if c.check == "missingness_parity").observed
    # male's 0 missing is no small cell, but its rate with the rows with Embarked present (889 - male's
    # 577 present = female's 312, so 314 - 312 = 2) would give female's back: withheld as complementary
    assert parity["group_missing_rate"] == {"female": None, "male": None}
    assert parity["group_rows"] == {s: int((raw["Sex"] == s).sum()) for s in ("female", "male")}
    assert parity["max_rate"] is None and parity["max_diff"] is None  # the spread gives female's rate back
    miss = next(c for c in out.checks if c.check == "missingness" and c.column == "Embarked").observed
    assert miss["missing_count"] == "<10" and miss["missing_rate"] is None


def test_a_cell_nothing_can_protect_fails_closed(tmp_path):
    frame = pd.DataFrame({"g": ["a"] * 12 + ["b"] * 6})
    source = tmp_path / "g.csv"
    frame.to_csv(source, index=False)
    spec = base_spec("tiny", source)
    spec["checks"] = {"representation": [{"column": "g"}]}
    report, _ = _report(tmp_path, spec)
    with pytest.raises(PrivacyError) as err:
        report.published(10)  # 18 rows = a + b, a at least 10: b could only be 1..8
    assert isinstance(err.value, DatavetError) and err.value.dataset == "tiny"
    assert "representation on g" in str(err.value) and "g=b" in str(err.value) and err.value.fix
    assert "6" not in str(err.value).replace("tiny", "")
    assert report.published(1).checks[0].observed == report.checks[0].observed


def test_the_cli_exits_2_naming_the_cell_and_writes_nothing(tmp_path):
    from tests.conftest import make_project
    from tests.test_cli import run

    frame = pd.DataFrame({"g": ["a"] * 12 + ["b"] * 6})
    frame.to_csv(tmp_path / "g.csv", index=False)
    spec = base_spec("tiny", tmp_path / "g.csv")
    spec["checks"] = {"representation": [{"column": "g"}]}
    path = make_project(tmp_path, spec)
    proc = run(tmp_path, "check", str(path), "--json", "report.json", "--metrics", "metrics.json")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "dataset 'tiny'" in proc.stderr and "g=b" in proc.stderr and "Fix:" in proc.stderr
    assert "Traceback" not in proc.stderr and "6" not in proc.stdout
    assert not (tmp_path / "report.json").exists() and not (tmp_path / "metrics.json").exists()
