"""Uncertainty: Wilson score intervals of every share (representation) and positive rate (label
balance), against scipy's ``binomtest(...).proportion_ci(method="wilson")`` on Adult and German
credit, both engines; the intervals of ratios and disparate impact from their ingredients; and
``decide_on: interval`` failing a limit only when the whole interval is on the wrong side."""

from __future__ import annotations

import pandas as pd
import pytest
from scipy.stats import binomtest

from datavet.changes import metrics_of
from datavet.checks.label_balance import label_balance
from datavet.checks.representation import representation
from datavet.checks.uncertainty import difference_interval, ratio_interval, wilson
from datavet.errors import SpecError
from datavet.privacy.publish import publish_result
from datavet.report import CheckResult
from tests.checks.conftest import ADULT_NAMES, DATA, Project, adult_spec, by_check, close, make_loaded
from tests.checks.test_datasets import GERMAN, german_spec

RACE_REFERENCE = {"White": 0.601, "Black": 0.125, "Asian-Pac-Islander": 0.060, "Amer-Indian-Eskimo": 0.007,
                  "Other": 0.207}


def scipy_wilson(k: int, n: int, confidence: float) -> list[float]:
    ci = binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
    return [float(ci.low), float(ci.high)]


def adult_uncertain() -> dict:
    spec = adult_spec()
    spec["checks"] = {
        "representation": [
            {"column": "race", "reference": RACE_REFERENCE, "min_ratio": 0.8, "confidence": 0.95},
            {"column": "race", "reference": RACE_REFERENCE, "min_ratio": 0.8, "confidence": 0.95,
             "decide_on": "interval", "severity": "warning"}],
        "label_balance": [{"label": "income", "by": "sex", "min_disparate_impact": 0.8, "confidence": 0.9,
                           "decide_on": "interval"}],
    }
    return spec


def german_uncertain() -> dict:
    spec = german_spec()
    spec["checks"] = {
        "representation": [{"column": "foreign_worker", "reference": {"A201": 0.9, "A202": 0.1}, "min_ratio": 0.45,
                            "min_share": 0.04, "confidence": 0.95, "decide_on": decide}
                           for decide in ("point", "interval")],
        "label_balance": [{"label": "risk", "by": "foreign_worker", "min_disparate_impact": 0.8,
                           "max_parity_difference": 0.15, "confidence": 0.95, "decide_on": decide}
                          for decide in ("point", "interval")],
    }
    return spec


@pytest.fixture(scope="module")
def runs(module_tmp):
    out = {}
    for name, spec in (("adult", adult_uncertain()), ("german", german_uncertain())):
        project = Project(module_tmp / name, spec)
        out[name] = {"pandas": project.run("pandas", store=False), "duckdb": project.run("duckdb", store=False)}
    return out


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_adult_share_and_rate_intervals(runs, engine):
    raw = pd.read_csv(DATA / "adult.data", header=None, names=ADULT_NAMES, skipinitialspace=True, dtype=str,
                      keep_default_na=False)
    report = runs["adult"][engine]
    counts, n = raw["race"].value_counts(), len(raw)
    ref = {g: v / sum(RACE_REFERENCE.values()) for g, v in RACE_REFERENCE.items()}
    point, interval = by_check(report, "representation", column="race")
    for result in (point, interval):
        for g, k in counts.items():
            expected = scipy_wilson(int(k), n, 0.95)
            assert result.observed["share_intervals"][g] == pytest.approx(expected, abs=1e-12)
            assert result.observed["ratio_intervals"][g] == pytest.approx([e / ref[g] for e in expected], abs=1e-12)
    ratios = {g: counts.get(g, 0) / n / ref[g] for g in sorted(ref)}
    uppers = {g: scipy_wilson(int(counts.get(g, 0)), n, 0.95)[1] / ref[g] for g in sorted(ref)}
    assert point.failures == [f"ratios[{g}] = {r:.3g} < min_ratio 0.8" for g, r in ratios.items() if r < 0.8]
    assert interval.failures == [f"ratio_upper[{g}] = {u:.3g} < min_ratio 0.8" for g, u in uppers.items() if u < 0.8]
    assert uppers["Black"] > ratios["Black"] and len(interval.failures) == len(point.failures) == 3
    (balance,) = by_check(report, "label_balance")
    tally = (raw["income"] == ">50K").groupby(raw["sex"]).agg(["sum", "count"])
    boxes = {g: scipy_wilson(int(s), int(c), 0.9) for g, (s, c) in tally.iterrows()}
    assert close(balance.observed["rate_intervals"], boxes, 1e-12)
    di = [boxes["Female"][0] / boxes["Male"][1], boxes["Female"][1] / boxes["Male"][0]]
    assert balance.observed["disparate_impact_interval"] == pytest.approx(di, abs=1e-12)
    assert balance.failures == [f"disparate_impact_upper = {di[1]:.3g} < min_disparate_impact 0.8"]


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_german_point_fails_where_the_interval_does_not(runs, engine):
    raw = pd.read_csv(DATA / "german.data", sep=" ", header=None, names=GERMAN, dtype=str)
    report = runs["german"][engine]
    point, interval = by_check(report, "representation", column="foreign_worker")
    k = int((raw["foreign_worker"] == "A202").sum())
    box = scipy_wilson(k, len(raw), 0.95)
    assert interval.observed["share_intervals"]["A202"] == pytest.approx(box, abs=1e-12)
    assert point.failures == [f"shares[A202] = {k / 1000:.3g} < min_share 0.04",
                              f"ratios[A202] = {k / 1000 / 0.1:.3g} < min_ratio 0.45"]
    assert box[1] >= 0.04 and box[1] / 0.1 >= 0.45 and interval.success
    lb_point, lb_interval = by_check(report, "label_balance")
    tally = (raw["risk"] == "1").groupby(raw["foreign_worker"]).agg(["sum", "count"])
    boxes = {g: scipy_wilson(int(s), int(c), 0.95) for g, (s, c) in tally.iterrows()}
    rates = tally["sum"] / tally["count"]
    assert close(lb_point.observed["rate_intervals"], boxes, 1e-12)
    lows, highs = [b[0] for b in boxes.values()], [b[1] for b in boxes.values()]
    assert max(lows) > min(highs)  # the intervals do not overlap
    di = [min(lows) / max(highs), min(highs) / max(lows)]
    pd_ = [max(lows) - min(highs), max(highs) - min(lows)]
    assert lb_point.observed["disparate_impact_interval"] == pytest.approx(di, abs=1e-12)
    assert lb_point.observed["parity_difference_interval"] == pytest.approx(pd_, abs=1e-12)
    assert rates.min() / rates.max() < 0.8 <= di[1] and pd_[0] <= 0.15 < rates.max() - rates.min()
    assert not lb_point.success and lb_interval.success
    assert lb_interval.observed == lb_point.observed
    metrics = metrics_of(report, 10)
    # a rate is published only when its positives and its negatives are both 0 or at least 10
    # (A202: 37 rows, fewer than 10 negatives); the interval over all groups goes with it
    negatives = tally["count"] - tally["sum"]
    safe = {g for g in boxes if all(n == 0 or n >= 10 for n in (tally["sum"][g], negatives[g]))}
    assert safe == {"A201"}
    assert close(metrics["positive_rate_interval"]["risk_by_foreign_worker"], {g: boxes[g] for g in safe}, 1e-12)
    assert metrics["disparate_impact_interval"]["risk_by_foreign_worker"] is None
    assert metrics["representation_share_intervals"]["foreign_worker"]["A202"] == pytest.approx(box, abs=1e-12)


def test_wilson_edges_and_box_intervals():
    assert wilson(0, 10, 0.95) == pytest.approx(scipy_wilson(0, 10, 0.95), abs=1e-12)
    assert wilson(0, 10, 0.95)[0] == 0.0 and wilson(10, 10, 0.95)[1] == 1.0
    assert wilson(1, 1, 0.95) == pytest.approx(scipy_wilson(1, 1, 0.95), abs=1e-12)  # a group of one row
    assert wilson(3, 0, 0.95) is None
    assert ratio_interval([[0.2, 0.4], [0.3, 0.5]]) == [0.2 / 0.5, 1.0]  # overlapping: could be equal
    assert ratio_interval([[0.0, 0.0]]) is None
    assert difference_interval([[0.2, 0.4], [0.3, 0.5]]) == [0.0, 0.5 - 0.2]
    assert ratio_interval([]) is None and difference_interval([]) is None


def test_a_constant_column_and_a_group_of_one_row():
    table = {"columns": ["g"], "rows": [[["a"], 40]]}
    out = representation(table, [], min_share=0.5, confidence=0.95, decide_on="interval")
    assert out.observed["share_intervals"] == {"a": [pytest.approx(scipy_wilson(40, 40, 0.95)[0]), 1.0]}
    assert out.success
    table = {"columns": ["g", "y"], "rows": [[["a", "1"], 30], [["a", "0"], 20], [["b", "1"], 1]]}
    out = label_balance(table, [], "1", min_disparate_impact=0.8, confidence=0.95, decide_on="interval")
    assert out.observed["rate_intervals"]["b"] == pytest.approx(scipy_wilson(1, 1, 0.95), abs=1e-12)
    assert out.success  # b's one row makes the interval [0.21, 1]: the ratio could be 1
    result = CheckResult(check="label_balance", column="y", by="g", success=True, **_as_report(out))
    published = publish_result(result, 10)
    assert published.observed["rate_intervals"] == {"a": out.observed["rate_intervals"]["a"], "b": None}
    rep = representation({"columns": ["g"], "rows": [[["a"], 99], [["b"], 1]]}, [], min_share=0.3, confidence=0.95,
                         decide_on="interval")
    upper = scipy_wilson(1, 100, 0.95)[1]
    assert rep.failures == [f"share_upper[b] = {upper:.3g} < min_share 0.3"]
    result = CheckResult(check="representation", column="g", success=False, **_as_report(rep))
    published = publish_result(result, 10)
    assert published.observed["share_intervals"]["b"] is None
    assert published.failures == ["share_upper[b] = withheld (small cell) < min_share 0.3"]


def _as_report(out) -> dict:
    return {"observed": out.observed, "failures": out.failures, "notes": out.notes,
            "violations": [v.as_json() for v in out.violations]}


def test_interval_needs_confidence(tmp_path):
    spec = german_spec()
    spec["checks"] = {"label_balance": [{"label": "risk", "by": "foreign_worker", "decide_on": "interval"}]}
    with pytest.raises(SpecError, match="needs a confidence"):
        make_loaded(tmp_path, spec)
