"""Two certified versions through the real DAG: the second loses rows of one group. The datasheet's
"changes" section and `dvc metrics diff` must report exactly what pandas computes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from datavet.registry import Registry
from datavet.settings import Settings
from tests.conftest import ADULT_SPEC, SHARED_DATA, adult_spec_dict, make_project

pytestmark = pytest.mark.integration
NAMES = adult_spec_dict()["source"]["options"]["names"]


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, header=None, names=NAMES, skipinitialspace=True, keep_default_na=False)


def test_second_version_reports_its_changes(airflow_home, tmp_path):
    lines = (SHARED_DATA / "adult.data").read_text().splitlines(keepends=True)
    source = tmp_path / "adult.csv"
    source.write_text("".join(lines))
    spec = adult_spec_dict()
    spec["source"]["path"] = str(source)
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

    # the same figures are DVC metrics: `dvc metrics diff` between the two tags shows them
    diff = subprocess.run([sys.executable, "-m", "dvc", "metrics", "diff", "adult/certified/1",
                           "adult/certified/2", "--json"], cwd=registry.root, capture_output=True, text=True)
    assert diff.returncode == 0, diff.stderr
    rows = json.loads(diff.stdout)["metrics/adult.json"]["rows"]
    assert (rows["old"], rows["new"], rows["diff"]) == (len(old), len(new), len(new) - len(old))
    female = json.loads(diff.stdout)["metrics/adult.json"]["representation_shares.sex.Female"]
    assert female["diff"] == pytest.approx(expected_share(new, old, "sex", "Female"), abs=1e-9)


def expected_share(new: pd.DataFrame, old: pd.DataFrame, attr: str, group: str) -> float:
    return float((new[attr] == group).mean() - (old[attr] == group).mean())
