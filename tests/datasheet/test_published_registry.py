"""What the certify pipeline publishes: the registry keeps the report's published form (small cells
"<10"), never the raw GX result; the datasheet stage still works from the exact counts, staged
beside it and never committed. Real data: Titanic (SibSp 5 and 8 have 5 and 7 rows, Embarked is
missing in 2 rows)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from datavet.checks import validation_result_path
from datavet.errors import ChecksFailed
from datavet.pipeline import EXACT_REPORT_FILE, REPORT_FILE, certify, document, staged_report, validate, version
from datavet.settings import Settings
from tests.datasheet.conftest import DATA, full_answers, titanic_spec, write_answers, write_spec


def _project(root: Path, **overrides):
    loaded = write_spec(root, titanic_spec(DATA / "titanic_train.csv", **overrides))
    write_answers(loaded, full_answers("titanic"))
    home = root / ".datavet"
    settings = Settings(project=root, registry=home / "registry", remote=str(home / "remote"), gx_root=root / "gx")
    return loaded, settings


def test_registry_holds_the_published_report_and_no_gx_result(tmp_path: Path) -> None:
    loaded, settings = _project(tmp_path)
    md5 = version(loaded, settings).md5
    returned = validate(loaded, settings, md5)
    from datavet.pipeline import registry_for

    registry = registry_for(settings)
    staging = registry.staging_dir("titanic", md5)
    published = json.loads((staging / REPORT_FILE).read_text())
    exact = json.loads((staging / EXACT_REPORT_FILE).read_text())
    sibsp = next(c for c in published["checks"] if c["check"] == "representation" and c["column"] == "SibSp")
    assert sibsp["observed"]["counts"]["5"] == "<10" and sibsp["observed"]["shares"]["5"] is None
    exact_sibsp = next(c for c in exact["checks"] if c["check"] == "representation" and c["column"] == "SibSp")
    assert exact_sibsp["observed"]["counts"]["5"] == 5  # the datasheet stage gets exact counts
    assert returned.model_dump(mode="json") == published  # what the validate task hands on is published
    assert staged_report(settings, "titanic", md5, exact=True).checks[0].observed == exact["checks"][0]["observed"]

    document(loaded, settings, md5)
    cert, created = certify(loaded, settings, md5)
    assert created
    stored = json.loads(registry.validation_path("titanic", md5).read_text())
    assert stored == published
    embarked = next(c for c in stored["checks"] if c["check"] == "missingness" and c["column"] == "Embarked")
    assert embarked["observed"]["missing_count"] == "<10" and embarked["observed"]["missing_rate"] is None
    committed = registry.git("ls-files").split()
    assert not [p for p in committed if p.endswith(".gx.json") or "exact" in p], committed
    assert not any(rel.endswith(".gx.json") for rel in cert.files)
    # the GX result stays in the project's local store, and the certificate still names it
    assert cert.validation_result_id and validation_result_path(returned, settings) is not None
    metrics = json.loads(registry.metrics_path("titanic").read_text())
    assert "5" not in metrics["representation_shares"]["SibSp"] and "Embarked" not in metrics["missing_rate"]


def test_the_failure_message_quotes_no_small_count(tmp_path: Path) -> None:
    spec = titanic_spec(DATA / "titanic_train.csv")
    spec["checks"]["representation"].append({"column": "Parch", "min_count": 10})  # Parch 3/4/5/6: 5, 4, 5, 1
    loaded, settings = _project(tmp_path, checks=spec["checks"])
    md5 = version(loaded, settings).md5
    with pytest.raises(ChecksFailed) as err:
        validate(loaded, settings, md5)
    text = str(err.value)
    assert "counts[6]: fewer than 10 rows (exact count withheld), below min_count 10" in text
    assert "counts[6] = 1 " not in text
