"""Issue 12's acceptance: German credit certified through the real certify DAG (`airflow dags test`)
with a spec that needs ``positive: 1`` (a 1/2 label), ``values`` (sex decoded from attribute 9) and
``bins`` (age banded); the certified figures equal an independent pandas computation on the raw file,
the datasheet states the recoding, and the certified Parquet keeps the raw codes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest
import yaml

from datavet.registry.store import committed_certificate
from datavet.settings import Settings
from tests.checks.test_datasets import GERMAN
from tests.conftest import SHARED_DATA, make_project
from tests.datasheet.conftest import full_answers

pytestmark = pytest.mark.integration

# german.doc, attribute 9 "personal status and sex"
SEX = {"A91": "male", "A92": "female", "A93": "male", "A94": "male", "A95": "female"}
BINS = [18, 25, 35, 50, 65]
LABELS = ["18-24", "25-34", "35-49", "50-64"]


def german_spec() -> dict:
    return {
        "name": "german_credit", "title": "Statlog German credit data", "owner": "risk@example.org",
        "license": "CC-BY-4.0",
        "source": {"path": str(SHARED_DATA / "german.data"), "format": "csv",
                   "options": {"sep": " ", "header": None, "names": GERMAN}},
        "columns": {
            "personal_status_sex": {"role": "protected", "description": "attribute 9, personal status and sex",
                                    "values": SEX},
            "age": {"role": "protected", "description": "age in years", "bins": BINS, "labels": LABELS},
            "foreign_worker": {"role": "protected", "values": {"A201": "yes", "A202": "no"}},
            "risk": {"role": "label", "positive": 1, "description": "1 good, 2 bad credit risk"},
        },
        "checks": {
            "missingness": {"max_rate": 0.0},
            "representation": [
                {"column": "personal_status_sex", "reference": {"male": 0.5, "female": 0.5}, "min_count": 100},
                {"column": "age", "min_count": 10, "severity": "warning"},
            ],
            "intersectional": [{"columns": ["personal_status_sex", "age"], "min_count": 5, "severity": "warning"}],
            "label_balance": [
                {"label": "risk", "by": "personal_status_sex", "min_disparate_impact": 0.8},
                {"label": "risk", "by": "age", "min_disparate_impact": 0.8, "severity": "warning"},
            ],
        },
    }


def by_hand() -> dict:
    raw = pd.read_csv(SHARED_DATA / "german.data", sep=" ", header=None, names=GERMAN)
    sex = raw["personal_status_sex"].map(SEX)
    band = pd.cut(raw["age"], [-float("inf"), *BINS, float("inf")], right=False,
                  labels=["< 18", *LABELS, ">= 65"]).astype(str)
    good = raw["risk"] == 1
    return {"raw": raw, "sex": sex.value_counts().to_dict(), "band": band.value_counts().to_dict(),
            "rate_sex": good.groupby(sex).mean().to_dict(), "rate_band": good.groupby(band).mean().to_dict()}


@pytest.fixture(scope="module")
def certified(airflow_home, tmp_path_factory):
    project = tmp_path_factory.mktemp("german_project")
    spec_path = make_project(project, german_spec())
    (spec_path.parent / "answers.yaml").write_text(yaml.safe_dump(full_answers("german_credit")), encoding="utf-8")
    os.environ.pop("DATAVET_REGISTRY", None)
    proc = airflow_home.run(project, "dags", "test", "datavet_certify_german_credit")
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]
    return project


def test_certified_figures_equal_pandas_on_the_raw_file(certified: Path) -> None:
    settings = Settings.from_env(certified)
    from datavet.registry import Registry

    registry = Registry.of(settings)
    assert registry.certified_tags("german_credit") == ["german_credit/certified/1"]
    cert = committed_certificate(registry, "german_credit", "german_credit/certified/1")
    assert cert.rows == 1000 and cert.rules is not None
    report = json.loads(registry.validation_path("german_credit", cert.md5).read_text())
    checks = report["checks"]

    def one(check: str, **subject) -> dict:
        found = [c for c in checks if c["check"] == check and all(c.get(k) == v for k, v in subject.items())]
        assert len(found) == 1, (check, subject)
        return found[0]["observed"]

    want = by_hand()
    assert want["sex"] == {"male": 690, "female": 310}
    assert one("representation", column="personal_status_sex")["counts"] == want["sex"]
    # each band exact, or withheld where the published report lists it as withheld (datavet.privacy)
    withheld = {w["cell"] for w in report["withheld_cells"]}
    bands = one("representation", column="age")["counts"]
    assert set(bands) == set(want["band"])
    for band, n in bands.items():
        assert n == want["band"][band] or (isinstance(n, str) and any(f"age={band}" in c for c in withheld)), band
    balance = one("label_balance", by="personal_status_sex")
    assert balance["positive_rates"] == pytest.approx(want["rate_sex"], abs=1e-12)
    rates = one("label_balance", by="age")["positive_rates"]
    assert {b: r for b, r in rates.items() if r is not None} == pytest.approx(
        {b: r for b, r in want["rate_band"].items() if rates.get(b) is not None}, abs=1e-12)
    # the certified bytes are the data as published: the raw codes and ages, not the groups
    df = __import__("datavet").load_certified("german_credit", settings=settings)
    assert df["personal_status_sex"].value_counts().to_dict() == \
        want["raw"]["personal_status_sex"].value_counts().to_dict()
    assert df["age"].tolist() == want["raw"]["age"].tolist()


def test_the_datasheet_states_the_recoding(certified: Path) -> None:
    from datavet.registry import Registry

    registry = Registry.of(Settings.from_env(certified))
    folder = registry.datasheet_dir("german_credit")
    sheet = json.loads((folder / "datasheet.json").read_text())
    columns = {c["name"]: c for c in sheet["computed"]["columns"]}
    assert "A92 → female" in columns["personal_status_sex"]["recoded"]
    assert "18-24, 25-34, 35-49, 50-64, >= 65" in columns["age"]["recoded"]
    assert columns["risk"]["recoded"] is None
    for name in ("datasheet.md", "datasheet.html"):
        text = (folder / name).read_text(encoding="utf-8")
        assert "A95 → female" in text and "banded before the checks" in text, name
