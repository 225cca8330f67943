"""The drift check's edge cases on the figure functions the expectation calls (a group absent from one
version, a constant column, one distinct value per row, a group of one row, missing values, a first
version), spec mistakes, a private column through a real registry, and a previous version whose bytes
are gone."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from datavet.checks import run_checks
from datavet.checks.base import PreviousVersion
from datavet.checks.drift import (
    FIRST_VERSION,
    DriftSpec,
    previous_rates,
    previous_shares,
    rate_drift,
    share_drift,
)
from datavet.errors import RegistryError, SpecError
from datavet.ingest import write_parquet
from datavet.privacy.publish import publish_result
from datavet.registry import Registry
from datavet.report import CheckResult
from tests.checks.conftest import ADULT_NAMES, DATA, base_spec, by_check, make_loaded
from tests.checks.test_drift import TwoVersions, assert_figures, expected_rates, expected_shares, table

# ---- edge cases on the figure functions


def previous_counts(frame: pd.DataFrame, column: str) -> dict[str, Any]:
    return {"tag": "t/certified/1", "md5": "0" * 32, "counts": frame[column].astype(str).value_counts().to_dict()}


def previous_cells(frame: pd.DataFrame, by: list[str], label: str, positive: str) -> dict[str, Any]:
    cells = []
    for key, g in frame.groupby(by):
        key = key if isinstance(key, tuple) else (key,)
        cells.append([[str(k) for k in key], len(g), int((g[label].astype(str) == positive).sum())])
    return {"tag": "t/certified/1", "md5": "0" * 32, "cells": cells}


def test_a_group_absent_from_one_version():
    old = pd.DataFrame({"g": ["a"] * 6 + ["b"] * 4, "y": ["1", "0"] * 5})
    new = pd.DataFrame({"g": ["a"] * 5 + ["c"] * 5, "y": ["1"] * 5 + ["0", "1", "0", "0", "0"]})
    out = share_drift(table(["g"], new), [], previous_counts(old, "g"), max_tvd=0.6)
    assert out.observed["shares"] == {"a": 0.5, "b": 0.0, "c": 0.5}
    assert out.observed["previous_shares"] == {"a": 0.6, "b": 0.4, "c": 0.0}
    assert out.observed["tvd"] == pytest.approx(0.5 * (0.1 + 0.4 + 0.5))
    assert (out.observed["appeared"], out.observed["disappeared"]) == (["c"], ["b"])
    assert out.success
    rates = rate_drift(table(["g", "y"], new), [], "1", previous_cells(old, ["g"], "y", "1"), max_rate_change=0.1)
    assert rates.observed["rate_changes"] == {"a": 1.0 - 0.5, "b": None, "c": None}
    assert rates.observed["largest_rate_change"] == 0.5 and rates.observed["largest_change_group"] == "a"
    assert [v.group for v in rates.violations] == ["a"]  # b and c fail nothing: they have no change
    assert "1 group(s) appeared and 1 disappeared" in rates.notes[0]
    only_new = rate_drift(table(["g", "y"], new[new.g == "c"]), [], "1", previous_cells(old, ["g"], "y", "1"),
                          max_rate_change=0.1)
    assert only_new.observed["largest_rate_change"] is None and not only_new.success  # nothing to verify


def test_a_constant_column():
    old, new = pd.DataFrame({"g": ["x"] * 7}), pd.DataFrame({"g": ["x"] * 3})
    out = share_drift(table(["g"], new), [], previous_counts(old, "g"), max_tvd=0.0)
    assert out.observed["share_changes"] == {"x": 0.0} and out.observed["tvd"] == 0.0 and out.success


def test_one_distinct_value_per_row():
    old = pd.DataFrame({"id": [f"r{i}" for i in range(10)], "y": ["1", "0"] * 5})
    new = pd.DataFrame({"id": [f"r{i}" for i in range(5, 15)], "y": ["1"] * 10})
    want = expected_shares(new, old, "id", [])
    out = share_drift(table(["id"], new), [], previous_counts(old, "id"), max_tvd=0.4)
    assert_figures(out.observed, want)
    assert out.observed["tvd"] == pytest.approx(0.5) and not out.success
    rates = rate_drift(table(["id", "y"], new), [], "1", previous_cells(old, ["id"], "y", "1"))
    assert_figures(rates.observed, expected_rates(new, old, "y", ["id"], "1", []))
    assert rates.observed["largest_rate_change"] == 1.0  # r5, r7, r9 went from 0 to 1


def test_a_group_of_one_row_and_missing_values():
    """Missing values (null or a token) are no group on either side, as in representation and label
    balance; the previous side is configured the way the suite builder does it."""
    old = pd.DataFrame({"g": ["a"] * 20 + ["b"] + [None, "?"], "y": ["1"] * 10 + ["0"] * 11 + ["1", "1"]})
    new = pd.DataFrame({"g": ["a"] * 20 + ["b"] * 2 + ["?"], "y": ["1"] * 10 + ["0"] * 10 + ["1", "?", "0"]})
    previous = PreviousVersion(tag="t/certified/1", md5="0" * 32, value_counts=lambda cols: table(cols, old))
    out = share_drift(table(["g"], new), ["?"], previous_shares(previous, "g", ["?"]))
    assert out.observed["counts"] == {"a": 20, "b": 2} and out.observed["previous_counts"] == {"a": 20, "b": 1}
    assert out.observed["share_changes"]["b"] == pytest.approx(2 / 22 - 1 / 21)
    assert_figures(out.observed, expected_shares(new, old, "g", ["?"]))
    rates = rate_drift(table(["g", "y"], new), ["?"], "1", previous_rates(previous, "y", "g", "1", ["?"]))
    assert rates.observed["rows"] == {"a": 20, "b": 1}  # b's second row has a missing label
    assert rates.observed["rate_changes"] == {"a": 0.0, "b": 1.0}
    assert_figures(rates.observed, expected_rates(new, old, "y", ["g"], "1", ["?"]))
    result = CheckResult(check="drift", column="y", by="g", success=True, observed=rates.observed)
    published = publish_result(result, 10).observed
    assert published["previous_rows"]["b"] == "<10" and published["rate_changes"] == {"a": 0.0, "b": None}


def test_first_version_figures_are_null_with_a_note():
    out = share_drift(table(["g"], pd.DataFrame({"g": ["a", "b"]})), [], None, max_tvd=0.0)
    assert out.success and FIRST_VERSION in out.notes and out.observed["tvd"] is None
    rates = rate_drift(table(["g", "y"], pd.DataFrame({"g": ["a"], "y": ["1"]})), [], "1", None, max_rate_change=0.0)
    assert rates.success and rates.observed["rate_changes"] is None


def test_spec_mistakes_are_refused(tmp_path):
    with pytest.raises(ValueError, match="add 'by'"):
        DriftSpec(column="race", max_rate_change=0.1)
    with pytest.raises(ValueError, match="drop 'by'"):
        DriftSpec(column="income", by="sex", max_tvd=0.1)
    spec = base_spec("nolabel", DATA / "adult.data")
    spec["source"]["options"] = {"header": None, "names": ADULT_NAMES, "skipinitialspace": True}
    spec["checks"] = {"drift": [{"column": "income", "by": "sex", "max_rate_change": 0.1}]}
    with pytest.raises(SpecError, match="needs a positive value"):
        make_loaded(tmp_path, spec)


# ---- a private column: the previous version's raw groups never leave the process

SECRETS = ["Zoroastrian", "Jedi", "Pastafarian"]


@pytest.fixture(scope="module")
def private_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("drift-private")
    religion = ["Zoroastrian"] * 30 + ["Jedi"] * 20 + ["Pastafarian"] * 10
    frame = pd.DataFrame({"religion": religion, "y": ["1", "0", "0"] * 20})
    source = root / "source.csv"
    frame.to_csv(source, index=False)
    spec = base_spec("private", source)
    spec["columns"] = {"religion": {"role": "sensitive"}, "y": {"role": "label", "positive": "1"}}
    spec["checks"] = {"missingness": {"max_rate": 1.0},
                      "drift": [{"column": "religion", "max_tvd": 0.5},
                                {"column": "y", "by": "religion", "max_rate_change": 0.9}]}
    # certified: Pastafarians cut to 4 rows, Jedi all gone
    versions = TwoVersions(root, spec, lambda df: df[df.religion != "Jedi"].iloc[:34].reset_index(drop=True))
    settings = versions.settings.model_copy(update={"data_docs": True})
    report = run_checks(versions.loaded, versions.parquet, data_hash=versions.md5, settings=settings)
    from datavet.checks import validation_result_path

    docs = settings.gx_root / "uncommitted" / "data_docs"
    return versions, report, validation_result_path(report, settings).read_text(), "\n".join(
        p.read_text(errors="replace") for p in docs.rglob("*.html"))


def test_private_drift_figures_under_opaque_names(private_runs):
    versions, report, stored, docs = private_runs
    (shares,) = by_check(report, "drift", column="religion")
    # the validation's numbering: group-1 Zoroastrian (30), group-2 Jedi (20), group-3 Pastafarian (10)
    assert shares.observed["counts"] == {"group-1": 30, "group-2": 20, "group-3": 10}
    assert shares.observed["previous_counts"] == {"group-1": 30, "group-2": 0, "group-3": 4}
    assert shares.observed["appeared"] == ["group-2"]
    want = expected_shares(versions.new, versions.previous, "religion", [])
    assert shares.observed["tvd"] == pytest.approx(want["tvd"], abs=1e-12)
    text = report.published(10).to_json()
    for secret in SECRETS:
        assert secret not in text, secret
        assert secret not in stored, secret
        assert secret not in docs, secret
    suite = (versions.settings.expectations_dir / "private.json").read_text()
    for secret in SECRETS:
        assert secret not in suite, secret
    published = by_check(report.published(10), "drift", column="religion")[0]
    assert published.observed["previous_counts"]["group-3"] == "<10"
    assert published.observed["share_changes"]["group-3"] is None


def test_previous_bytes_gone_is_a_clear_error(tmp_path):
    frame = pd.DataFrame({"g": ["a"] * 12 + ["b"] * 12})
    source = tmp_path / "source.csv"
    frame.to_csv(source, index=False)
    spec = base_spec("gone", source)
    spec["checks"] = {"missingness": {"max_rate": 1.0}, "drift": [{"column": "g", "max_tvd": 0.1}]}
    versions = TwoVersions(tmp_path, spec, lambda df: df.iloc[:22].reset_index(drop=True))  # b: 10 rows
    registry = Registry.of(versions.settings)
    for path in (registry.cache_path(versions.previous_md5), registry.remote_object(versions.previous_md5)):
        path.unlink()
    suite = versions.settings.expectations_dir / "gone.json"
    before = suite.read_bytes()
    other = write_parquet(versions.new.iloc[:20], tmp_path / "other.parquet")
    with pytest.raises(RegistryError, match=r"compares with gone/certified/1, whose bytes") as err:
        run_checks(versions.loaded, tmp_path / "other.parquet", data_hash=other, settings=versions.settings)
    assert err.value.dataset == "gone" and "dvc pull" in err.value.fix
    assert suite.read_bytes() == before  # nothing half written
