"""`datavet check` with geography that needs help: the unresolved values are printed with exact counts
for the person fixing the spec (the JSON report keeps the small-cell rule), and a spec's aliases and a
postal-code column resolve through the real checks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd

from tests.conftest import ADULT_SPEC, SHARED_DATA, adult_spec_dict, make_project

DATAVET = str(Path(sys.executable).parent / "datavet")


def run(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATAVET_PROJECT": str(project), "DATAVET_HOME": str(project / ".datavet")}
    return subprocess.run([DATAVET, *args], cwd=project, env=env, capture_output=True, text=True, timeout=600)


def adult_countries() -> pd.Series:
    df = pd.read_csv(SHARED_DATA / "adult.data", header=None, skipinitialspace=True, dtype=str,
                     keep_default_na=False)
    return df[13].value_counts()


def test_check_prints_unresolved_values_with_exact_counts(tmp_path) -> None:
    spec = adult_spec_dict()
    spec["small_cell_threshold"] = 100  # every unresolved Adult country has fewer rows than this
    path = make_project(tmp_path, spec, answers_from=ADULT_SPEC.parent / "answers.yaml")
    proc = run(tmp_path, "check", str(path), "--json", "report.json")
    assert proc.returncode in (0, 1), proc.stderr
    counts = adult_countries()
    unresolved = ["South", "Columbia", "Hong", "Yugoslavia"]
    assert f"geography on native-country: {len(unresolved)} value(s) resolve to no country " \
           f"({sum(int(counts[v]) for v in unresolved)} rows)" in proc.stdout, proc.stdout
    for value in unresolved:
        assert f"  {value!r}: {int(counts[value])}\n" in proc.stdout
    # the spec has two geography checks on native-country: the note is printed once
    assert [g["column"] for g in spec["checks"]["geography"]] == ["native-country"] * 2
    assert proc.stdout.count("resolve to no country") == 1, proc.stdout
    geo = next(c for c in json.loads((tmp_path / "report.json").read_text())["checks"] if c["check"] == "geography")
    assert geo["observed"]["unresolved_values"] == {v: "<100" for v in unresolved}


def test_spec_aliases_resolve_what_is_left(tmp_path) -> None:
    spec = adult_spec_dict()
    spec["aliases"] = {"South": "KOR", "Hong": "HKG", "Columbia": "COL", "Yugoslavia": "SRB"}
    path = make_project(tmp_path, spec, answers_from=ADULT_SPEC.parent / "answers.yaml")
    proc = run(tmp_path, "check", str(path), "--json", "report.json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "resolve to no country" not in proc.stdout
    geo = next(c for c in json.loads((tmp_path / "report.json").read_text())["checks"] if c["check"] == "geography")
    assert geo["observed"]["resolved_share"] == 1.0 and geo["observed"]["unresolved_values"] == {}
    assert geo["observed"]["counts"]["HKG"] == int(adult_countries()["Hong"])


def test_a_postal_code_column(tmp_path) -> None:
    """The US state table's USPS codes: with postal_codes: US every state (and the US row) is USA,
    Puerto Rico its own country; CA is California, not Canada."""
    source = SHARED_DATA / "us_state_population_2024_flusight_locations.csv"
    spec = {"name": "states", "title": "US states", "owner": "tests@example.org", "license": "MIT",
            "source": {"path": str(source), "format": "csv"}, "small_cell_threshold": 1,
            "columns": {"abbreviation": {"role": "geography", "postal_codes": "US"}},
            "checks": {"geography": [{"column": "abbreviation"}]}}
    path = make_project(tmp_path, spec)
    proc = run(tmp_path, "check", str(path), "--json", "report.json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    table = pd.read_csv(source, dtype=str, keep_default_na=False)
    geo = next(c for c in json.loads((tmp_path / "report.json").read_text())["checks"] if c["check"] == "geography")
    assert geo["observed"]["counts"] == {"USA": int((table["abbreviation"] != "PR").sum()), "PRI": 1}
