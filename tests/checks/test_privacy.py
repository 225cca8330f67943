"""Raw values of identifying/sensitive columns never reach the report nor the stored GX result."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from datavet.checks import build_suite, run_checks, validation_result_path
from datavet.ingest import write_parquet
from tests.checks.conftest import by_check, make_loaded

SECRETS = ["Zoroastrian", "Jedi", "Pastafarian", "alice@example.org", "bob@example.org", "carol@example.org"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("privacy")
    n = 60
    df = pd.DataFrame({"religion": (["Zoroastrian"] * 30 + ["Jedi"] * 20 + ["Pastafarian"] * 10),
                       "email": [SECRETS[3 + i % 3] for i in range(n)],
                       "sex": ["F", "M"] * 30, "y": ["1", "0", "0"] * 20})
    write_parquet(df, root / "p.parquet")
    spec = {"name": "private", "title": "t", "owner": "o", "license": "CC0", "source": {"path": "p.parquet"},
            "columns": {"religion": {"role": "sensitive"}, "email": {"role": "identifying"},
                        "y": {"role": "label", "positive": "1"}},
            "checks": {"missingness": {"max_rate": 0.1,
                                       "parity": [{"column": "sex", "by": "religion", "max_diff": 0.1}]},
                       "representation": [{"column": "religion", "min_count": 15,
                                           "reference": {"Zoroastrian": 0.2, "Jedi": 0.4, "Pastafarian": 0.4},
                                           "min_ratio": 0.8}],
                       "intersectional": [{"columns": ["religion", "sex"], "min_count": 1}],
                       "label_balance": [{"label": "y", "by": "religion"}]}}
    loaded, settings = make_loaded(root, spec)
    settings = settings.model_copy(update={"data_docs": True})  # the Data Docs are checked below
    path = build_suite(loaded, settings, columns=list(df.columns))
    suite = json.loads(path.read_text())
    suite["expectations"].append({"type": "expect_column_values_to_be_in_set",
                                  "kwargs": {"column": "email", "value_set": ["alice@example.org"]}, "meta": {}})
    path.write_text(json.dumps(suite))
    out = {}
    for engine, data in (("pandas", df), ("duckdb", root / "p.parquet")):
        report = run_checks(loaded, data, engine=engine, settings=settings)
        out[engine] = (report, validation_result_path(report, settings).read_text())
    docs = settings.gx_root / "uncommitted" / "data_docs"
    out["docs"] = "\n".join(p.read_text(errors="replace") for p in docs.rglob("*.html"))
    return out


def test_no_raw_private_value_in_data_docs(runs):
    assert "private" in runs["docs"]  # the validation page was rendered
    for secret in SECRETS:
        assert secret not in runs["docs"], secret


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_no_raw_private_value_in_report_or_stored_result(runs, engine):
    report, stored = runs[engine]
    text = report.to_json()
    for secret in SECRETS:
        assert secret not in text, secret
        assert secret not in stored, secret
    assert "religion" in text  # the column name is not private, its values are


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_private_groups_keep_their_figures_under_opaque_names(runs, engine):
    report, _ = runs[engine]
    (rep,) = by_check(report, "representation")
    assert rep.observed["counts"] == {"group-1": 30, "group-2": 20, "group-3": 10}
    # group-1 (30 rows, reference 0.2) is over-represented; group-3 (10 rows, 0.4) fails both limits
    assert "counts[group-3] = 10 < min_count 15" in rep.failures
    assert any(f.startswith("ratios[group-3] = ") for f in rep.failures)
    assert set(rep.observed["reference_shares"]) == {"group-1", "group-2", "group-3"}
    (cells,) = by_check(report, "intersectional")
    assert set(cells.observed["cell_counts"]) == {f"group-{i}|{s}" for i in (1, 2, 3) for s in "FM"}
    (balance,) = by_check(report, "label_balance")
    assert set(balance.observed["positive_rates"]) == {"group-1", "group-2", "group-3"}
    (hand,) = by_check(report, "gx_expectation")
    assert hand.observed == {"expectation_type": "expect_column_values_to_be_in_set"} and not hand.success
