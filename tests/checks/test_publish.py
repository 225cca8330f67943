"""The published form of a check report (metrics.md, "Small cells in published documents"): counts
1..threshold-1 become "<threshold", the shares/ratios/rates that give them back become null, and
failure texts quote no small exact count. The checks themselves keep deciding on exact counts."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from datavet.changes import metrics_of
from datavet.checks import run_checks
from datavet.figures.outcome import Violation
from datavet.ingest import read_source
from datavet.privacy.publish import publish_report, publish_result, small_note
from datavet.report import CheckResult
from tests.checks.conftest import DATA, adult_spec, by_check, make_loaded


def _small_frame() -> pd.DataFrame:
    # race: A 100 rows, B 5 rows; y positive 2 of B's 5 (rate 0.4); x missing in 3 rows
    race = ["A"] * 100 + ["B"] * 5
    return pd.DataFrame({"race": race, "sex": ["F", "M"] * 52 + ["F"], "y": ["0"] * 100 + ["1", "1", "0", "0", "0"],
                         "x": [None] * 3 + ["v"] * 102, "country": ["USA"] * 99 + ["FRA"] * 6})


def _spec(private: bool) -> dict:
    columns = {"y": {"role": "label", "positive": "1"}}
    if private:
        columns["race"] = {"role": "sensitive"}
    return {"name": "small", "title": "t", "owner": "o", "license": "CC0", "source": {"path": "p.parquet"},
            "small_cell_threshold": 10, "columns": columns,
            "checks": {"missingness": {"max_rate": 0.01, "parity": [{"column": "x", "by": "race", "max_diff": 1.0}]},
                       "representation": [{"column": "race", "min_count": 10, "min_share": 0.1,
                                           "reference": {"A": 0.5, "B": 0.5}, "min_ratio": 0.8}],
                       "intersectional": [{"columns": ["race", "sex"], "min_count": 10}],
                       "label_balance": [{"label": "y", "by": "race"}],
                       "geography": [{"column": "country", "min_ratio": 0.5,
                                      "reference": {"USA": 0.5, "FRA": 0.5}}]}}


@pytest.fixture(scope="module", params=[False, True], ids=["plain", "sensitive"])
def exact(request, tmp_path_factory):
    root = tmp_path_factory.mktemp("publish")
    loaded, settings = make_loaded(root, _spec(request.param))
    return run_checks(loaded, _small_frame(), engine="pandas", settings=settings, store=False), request.param


def test_small_counts_become_strings_and_their_shares_null(exact):
    report, private = exact
    b = "group-2" if private else "B"
    published = publish_report(report, 10)
    doc = json.loads(published.to_json())
    assert doc["small_cell_threshold"] == 10
    rep = next(c for c in doc["checks"] if c["check"] == "representation")["observed"]
    assert rep["counts"][b] == "<10" and rep["shares"][b] is None and rep["ratios"][b] is None
    assert rep["min_count_observed"] == "<10" and rep["min_share_observed"] is None
    # two groups and a published total: A's count gives B's back (105 - 100), so A is withheld too
    # (complementary; it is at least 10, so B may still be anything from 1 to 9); the decision is listed
    a = "group-1" if private else "A"
    assert rep["counts"][a] == "withheld" and rep["shares"][a] is None and rep["non_missing"] == 105
    why = {(w["table"], w["figure"], w["cell"]): w["why"] for w in doc["withheld_cells"]}
    assert why[("representation on race", "counts", f"race={a}")] == "complementary"
    assert why[("representation on race", "counts", f"race={b}")] == "primary"
    cells = next(c for c in doc["checks"] if c["check"] == "intersectional")["observed"]
    assert cells["cell_counts"][f"{b}|F"] == "<10" and cells["cell_counts"][f"{b}|M"] == "<10"
    assert all(c["count"] == "<10" for c in cells["smallest_cells"][:2])
    miss = next(c for c in doc["checks"] if c["check"] == "missingness" and c["column"] == "x")["observed"]
    assert miss["missing_count"] == "<10" and miss["missing_rate"] is None and miss["token_counts"]["null"] == "<10"
    balance = next(c for c in doc["checks"] if c["check"] == "label_balance")
    assert balance["observed"]["rows"][b] == "<10" and balance["observed"]["positive_rates"][b] is None
    assert balance["observed"]["disparate_impact"] is None  # B's rate is its maximum: withheld with it
    parity = next(c for c in doc["checks"] if c["check"] == "missingness_parity")["observed"]
    assert parity["group_rows"][b] == "<10" and parity["group_missing_rate"][b] is None
    geo = next(c for c in doc["checks"] if c["check"] == "geography")["observed"]
    assert geo["counts"]["FRA"] == "<10" and geo["shares"]["FRA"] is None and geo["ratios"]["FRA"] is None
    assert geo["region_counts"]["Europe"] == "<10" and geo["region_shares"]["Europe"] is None
    assert geo["resolved_share"] == 1.0
    for check in doc["checks"]:
        if check["check"] != "gx_expectation" and check["check"] != "missingness":
            assert small_note(10) in check["notes"], check["check"]
    # the exact report is untouched: the checks decided on it
    (rep_exact,) = by_check(report, "representation")
    assert rep_exact.observed["counts"][b] == 5 and not report.success


def test_failure_texts_and_summary_quote_no_small_count(exact):
    report, private = exact
    b = "group-2" if private else "B"
    exact_summary, published = report.summary(), publish_report(report, 10)
    assert f"counts[{b}] = 5 < min_count 10" in exact_summary  # what the check saw
    summary = published.summary()
    # a small count is said in words; the limit is shown as set (issue: "min_count <10" read as nonsense)
    assert f"counts[{b}]: fewer than 10 rows (exact count withheld), below min_count 10" in summary
    assert f"cell_counts[{b}|F]: fewer than 10 rows (exact count withheld), below min_count 10" in summary
    assert f"shares[{b}] = withheld (small cell) < min_share 0.1" in summary
    assert f"ratios[{b}] = withheld (small cell) < min_ratio 0.8" in summary
    assert "missing_rate = withheld (small cell) > max_rate 0.01" in summary
    assert "ratios[FRA] = withheld (small cell) < min_ratio 0.5" in summary
    for exact_text in (" = 5 ", " = 3 ", "0.0476", "0.0286", "0.0571"):
        assert exact_text not in summary, exact_text


def test_publishing_is_idempotent(exact):
    report, _ = exact
    once = publish_report(report, 10)
    assert publish_report(once, 10).model_dump() == once.model_dump()


def _published(violation: Violation, threshold: int = 10) -> str:
    result = CheckResult(check="representation", column="race", success=False, failures=[violation.render()],
                         violations=[violation.as_json()], observed={"counts": {"group-2": 3}})
    (text,) = publish_result(result, threshold).failures
    return text


def test_a_withheld_count_never_masks_its_limit():
    assert _published(Violation("counts", "min_count", 5, "<", 3, group="group-2", count=True)) == \
        "counts[group-2]: fewer than 10 rows (exact count withheld), below min_count 5"
    assert _published(Violation("counts", "min_count", 10, "<", 0, group="1", count=True)) == \
        "counts[1] = 0 < min_count 10"  # an empty group singles nobody out
    assert _published(Violation("counts", "min_count", 20, "<", 12, group="7", count=True)) == \
        "counts[7] = 12 < min_count 20"
    assert _published(Violation("regions_present", "min_regions", 3, "<", 2)) == \
        "regions_present = 2 < min_regions 3"  # not a count of rows
    assert _published(Violation("shares", "min_share", 0.5, "<", 0.03, group="group-2")) == \
        "shares[group-2] = withheld (small cell) < min_share 0.5"


def test_dvc_metrics_leave_out_rates_of_small_groups(exact):
    report, private = exact
    b = "group-2" if private else "B"
    metrics = metrics_of(report, 10)
    # B's 0.4 is gone, and so is A's 0.0: A's rows with a label give B's back (105 - 100)
    assert metrics["positive_rate"]["y_by_race"] == {}
    assert metrics["disparate_impact"]["y_by_race"] is None  # built on B's rate
    assert b not in metrics["representation_shares"]["race"]
    assert "x" not in metrics["missing_rate"]  # 3 missing cells: the rate gives them back
    assert "FRA" not in metrics["geography_shares"]["country"]
    assert json.dumps(metrics).count("0.4") == 0


def test_adult_small_countries_are_published_as_small_cells(tmp_path):
    """Real data: Adult's native-country has Holand-Netherlands with 1 row and several countries
    with fewer than 10 once missing labels are left out."""
    spec = adult_spec()
    spec["checks"] = {"representation": [{"column": "native-country", "min_count": 10, "severity": "warning"}],
                      "label_balance": [{"label": "income", "by": "native-country"}],
                      "geography": [{"column": "native-country"}]}
    loaded, settings = make_loaded(tmp_path, spec)
    raw = read_source(loaded)
    report = run_checks(loaded, raw, engine="pandas", settings=settings, store=False)
    counts = raw["native-country"].value_counts()
    small = sorted(g for g, n in counts.items() if n < 10 and g != "?")
    assert small == ["Holand-Netherlands"]
    published = publish_report(report, 10)
    (rep,) = by_check(published, "representation")
    assert rep.observed["counts"]["Holand-Netherlands"] == "<10"
    assert rep.observed["shares"]["Holand-Netherlands"] is None
    # Holand-Netherlands = non_missing - every other count: the smallest other count is withheld with it
    assert rep.observed["counts"]["Scotland"] == "withheld" and int(counts["Scotland"]) == 12
    assert rep.observed["counts"]["United-States"] == int(counts["United-States"])
    text = published.summary()
    assert "counts[Holand-Netherlands]: fewer than 10 rows (exact count withheld), below min_count 10" in text
    assert "counts[Holand-Netherlands] = 1 <" not in published.summary()
    (geo,) = by_check(published, "geography")
    assert geo.observed["counts"]["NLD"] == "<10" and geo.observed["shares"]["NLD"] is None
    (balance,) = by_check(published, "label_balance")
    assert balance.observed["positive_rates"]["Holand-Netherlands"] is None
    assert balance.observed["positive_rates"]["United-States"] is not None
    metrics = metrics_of(report, 10)
    assert "Holand-Netherlands" not in metrics["positive_rate"]["income_by_native-country"]
    assert (DATA / "adult.data").exists()
