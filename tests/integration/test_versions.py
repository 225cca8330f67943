"""Two certified versions through the real DAG: the second loses rows of one group. The datasheet's
"changes" section, the drift checks and `dvc metrics diff` must report exactly what pandas computes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from datavet.fsutil import file_md5
from datavet.registry import Registry
from datavet.settings import Settings
from tests.conftest import ADULT_SPEC, SHARED_DATA, adult_spec_dict, make_project

pytestmark = pytest.mark.integration
NAMES = adult_spec_dict()["source"]["options"]["names"]
DRIFT = [{"column": "race", "max_tvd": 0.05}, {"column": "income", "by": "sex", "max_rate_change": 0.05},
         {"column": "sex", "max_tvd": 0.001, "severity": "warning"}]


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, header=None, names=NAMES, skipinitialspace=True, keep_default_na=False)


def test_second_version_reports_its_changes(airflow_home, tmp_path):
    lines = (SHARED_DATA / "adult.data").read_text().splitlines(keepends=True)
    source = tmp_path / "adult.csv"
    source.write_text("".join(lines))
    spec = adult_spec_dict()
    spec["source"]["path"] = str(source)
    spec["checks"]["drift"] = DRIFT
    make_project(tmp_path, spec, answers_from=ADULT_SPEC.parent / "answers.yaml")
    first = airflow_home.run(tmp_path, "dags", "test", "datavet_certify_adult")
    assert first.returncode == 0, (first.stdout + first.stderr)[-4000:]
    old = _read(source)

    # version 2: every other Black woman's row is gone
    black_women = [i for i, line in enumerate(lines) if ", Black, Female," in line]
    dropped = set(black_women[::2])
    source.write_text("".join(line for i, line in enumerate(lines) if i not in dropped))
    second = airflow_home.run(tmp_path, "dags", "test", "datavet_certify_adult")
    assert second.returncode == 0, (second.stdout + second.stderr)[-4000:]
    new = _read(source)

    settings = Settings.from_env(tmp_path)
    registry = Registry(settings.registry, settings.remote)
    assert registry.certified_tags("adult") == ["adult/certified/1", "adult/certified/2"]
    sheet = json.loads((registry.datasheet_dir("adult") / "datasheet.json").read_text())
    changes = sheet["changes"]
    assert changes["previous_tag"] == "adult/certified/1"
    assert (changes["rows_before"], changes["rows_after"]) == (len(old), len(new))
    assert changes["rows_removed"] == len(dropped) and changes["rows_added"] == 0
    for attr in ("sex", "race"):
        expected = new[attr].value_counts(normalize=True).sub(old[attr].value_counts(normalize=True), fill_value=0)
        for group, shift in changes["share_shift"][attr].items():
            assert shift == pytest.approx(expected[group], abs=1e-12), (attr, group)
    miss_new, miss_old = (new["occupation"] == "?").mean(), (old["occupation"] == "?").mean()
    assert changes["missing_rate_shift"]["occupation"] == pytest.approx(miss_new - miss_old, abs=1e-12)
    md = (registry.datasheet_dir("adult") / "datasheet.md").read_text()
    assert "Changes since the previous certified version" in md and f"{len(dropped):,} removed" in md
    assert_drift(changes["drift"], new, old, md)
    html = (registry.datasheet_dir("adult") / "datasheet.html").read_text()
    assert "Drift against adult/certified/1" in html and "largest change" in html
    first_report = json.loads(registry.show("adult/certified/1",
                                            registry.validation_path("adult", changes["previous_md5"])))
    assert all(c["success"] and c["observed"]["previous_tag"] is None for c in first_report["checks"]
               if c["check"] == "drift")  # the first version has nothing to compare with

    # the same figures are DVC metrics: `dvc metrics diff` between the two tags shows them
    diff = subprocess.run([sys.executable, "-m", "dvc", "metrics", "diff", "adult/certified/1",
                           "adult/certified/2", "--json"], cwd=registry.root, capture_output=True, text=True)
    assert diff.returncode == 0, diff.stderr
    rows = json.loads(diff.stdout)["metrics/adult.json"]["rows"]
    assert (rows["old"], rows["new"], rows["diff"]) == (len(old), len(new), len(new) - len(old))
    female = json.loads(diff.stdout)["metrics/adult.json"]["representation_shares.sex.Female"]
    assert female["diff"] == pytest.approx(expected_share(new, old, "sex", "Female"), abs=1e-9)
    assert_pulls_each_tag(registry, tmp_path / "clone")


def assert_pulls_each_tag(registry: Registry, clone: Path) -> None:
    """A clone of the registry gets each certified version's exact bytes with `dvc pull` from the
    remote datavet pushed to (DVC reads the objects datavet wrote)."""
    def run(*cmd: str) -> str:
        done = subprocess.run(cmd, cwd=clone, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    subprocess.run(["git", "clone", "-q", str(registry.root), str(clone)], check=True)
    run(sys.executable, "-m", "dvc", "remote", "modify", "--local", "storage", "url", str(registry.remote))
    for tag in registry.certified_tags("adult"):
        run("git", "checkout", "-q", tag)
        run(sys.executable, "-m", "dvc", "pull", "-q", "data/adult/adult.parquet.dvc")
        md5 = registry.recorded_md5("adult", rev=tag)
        assert file_md5(clone / "data" / "adult" / "adult.parquet") == md5
        assert "in sync" in run(sys.executable, "-m", "dvc", "status", "-c", "data/adult/adult.parquet.dvc")


def expected_share(new: pd.DataFrame, old: pd.DataFrame, attr: str, group: str) -> float:
    return float((new[attr] == group).mean() - (old[attr] == group).mean())


def assert_drift(drift: list[dict], new: pd.DataFrame, old: pd.DataFrame, md: str) -> None:
    """The drift figures in the datasheet's changes section against pandas: shares, their changes and
    TVD; positive rates by sex and their changes; pass/fail from the same limits."""
    by_subject = {(d["column"], d["by"]): d for d in drift}
    assert set(by_subject) == {("race", None), ("income", "sex"), ("sex", None)}
    for column, limit in (("race", 0.05), ("sex", 0.001)):
        a, b = new[column].value_counts(normalize=True), old[column].value_counts(normalize=True)
        change = a.sub(b, fill_value=0)
        d = by_subject[(column, None)]
        assert d["previous_tag"] == "adult/certified/1"
        assert set(d["share_changes"]) == set(change.index)
        for group, value in change.items():
            assert d["share_changes"][group] == pytest.approx(value, abs=1e-12), (column, group)
            assert d["shares"][group] == pytest.approx(a.get(group, 0.0), abs=1e-12)
        tvd = 0.5 * change.abs().sum()
        assert d["tvd"] == pytest.approx(tvd, abs=1e-12)
        assert d["success"] == (tvd <= limit)
        assert f"| TVD | | | {tvd:.3f} |" in md
    assert by_subject[("race", None)]["success"] and not by_subject[("sex", None)]["success"]
    rate_new = new.groupby("sex")["income"].apply(lambda s: (s == ">50K").mean())
    rate_old = old.groupby("sex")["income"].apply(lambda s: (s == ">50K").mean())
    d = by_subject[("income", "sex")]
    for group in ("Female", "Male"):
        assert d["rate_changes"][group] == pytest.approx(rate_new[group] - rate_old[group], abs=1e-12)
        assert f"| {group} | {rate_old[group] * 100:.1f}% | {rate_new[group] * 100:.1f}% | " \
               f"{(rate_new[group] - rate_old[group]) * 100:+.2f} pp |" in md
    largest = (rate_new - rate_old).abs().max()
    assert d["largest_rate_change"] == pytest.approx(largest, abs=1e-12)
    assert d["success"] == (largest <= 0.05)
    assert "### Drift against adult/certified/1" in md
