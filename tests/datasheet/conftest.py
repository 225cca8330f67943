"""Fixtures for the datasheet tests: real Adult and Titanic data from ../shared/data, their Parquet
versions and check reports computed independently with pandas (see reportkit.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import yaml

from datavet.datasheet import PROMPT_IDS
from datavet.report import CheckReport
from datavet.spec import LoadedSpec, load_spec
from tests.datasheet.reportkit import DATA, REPO, report_for, version

ADULT_SPEC = REPO / "datasheets" / "adult" / "dataset.yaml"
INJECTED = "<script>document.title='PWNED';document.documentElement.setAttribute('data-pwned','yes')</script>"


@dataclass
class Version:
    loaded: LoadedSpec
    parquet: Path
    md5: str
    df: pd.DataFrame
    report: CheckReport


def titanic_spec(source: Path, **overrides) -> dict:
    spec = {
        "name": "titanic", "title": "Titanic passengers (Kaggle training split)",
        "owner": "ml-education@example.org", "license": "other",
        "source": {"path": str(source), "format": "csv"},
        "small_cell_threshold": 10,
        "columns": {
            "PassengerId": {"role": "identifying"}, "Name": {"role": "identifying"},
            "Ticket": {"role": "identifying"}, "Cabin": {"role": "sensitive", "description": "cabin number"},
            "Sex": {"role": "protected"}, "Pclass": {"role": "protected", "description": "ticket class"},
            "Embarked": {"description": "port of embarkation"},
            "Survived": {"role": "label", "positive": "1", "description": "survived the sinking"},
        },
        "checks": {
            "missingness": {"max_rate": 0.8, "parity": [{"column": "Age", "by": "Sex", "max_diff": 0.1}]},
            "representation": [
                {"column": "Sex", "reference": {"male": 0.5, "female": 0.5}, "min_count": 10},
                {"column": "Embarked"}, {"column": "SibSp"}, {"column": "Cabin"},
            ],
            "intersectional": [{"columns": ["Sex", "Pclass"], "min_count": 10}],
            "label_balance": [{"label": "Survived", "by": "Sex", "min_disparate_impact": 0.8,
                               "severity": "warning"}],
        },
    }
    spec.update(overrides)
    return spec


def write_spec(folder: Path, spec: dict) -> LoadedSpec:
    path = folder / "datasheets" / spec["name"] / "dataset.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return load_spec(path)


def full_answers(name: str, *, skip: tuple[str, ...] = (), extra: dict | None = None) -> dict:
    """An answers file settling every prompt (except ``skip``), attested by a test address."""
    answers = {pid: {"answer": f"Answer to {pid} for {name}."} for pid in PROMPT_IDS if pid not in skip}
    answers.update(extra or {})
    return {"dataset": name, "attested_by": "qa@example.org", "attested_on": "2026-01-15", "answers": answers}


def write_answers(loaded: LoadedSpec, data: dict) -> Path:
    path = loaded.path.parent / "answers.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def make_version(loaded: LoadedSpec, out: Path, df: pd.DataFrame | None = None) -> Version:
    out.mkdir(parents=True, exist_ok=True)
    parquet, md5, frame = version(loaded, out, df)
    return Version(loaded, parquet, md5, frame, report_for(loaded, frame, md5))


@pytest.fixture(scope="session")
def adult(tmp_path_factory: pytest.TempPathFactory) -> Version:
    return make_version(load_spec(ADULT_SPEC), tmp_path_factory.mktemp("adult"))


@pytest.fixture(scope="session")
def titanic(tmp_path_factory: pytest.TempPathFactory) -> Version:
    root = tmp_path_factory.mktemp("titanic")
    loaded = write_spec(root, titanic_spec(DATA / "titanic_train.csv"))
    write_answers(loaded, full_answers("titanic"))
    return make_version(loaded, root / "version")


@pytest.fixture(scope="session")
def titanic_injected(tmp_path_factory: pytest.TempPathFactory) -> Version:
    """Titanic with one Embarked value replaced by a script: category values are untrusted text."""
    root = tmp_path_factory.mktemp("titanic_injected")
    loaded = write_spec(root, titanic_spec(DATA / "titanic_train.csv"))
    write_answers(loaded, full_answers("titanic"))
    from datavet.ingest import read_source

    df = read_source(loaded)
    df.loc[df.index[:12], "Embarked"] = INJECTED  # 12 rows: above the threshold, so the label is published
    return make_version(loaded, root / "version", df)


@pytest.fixture(scope="session")
def adult_gx(tmp_path_factory: pytest.TempPathFactory) -> Version:
    """Adult checked by the real GX suite (datavet.checks), for the end-to-end figure tests."""
    from datavet.checks import run_checks
    from datavet.settings import Settings

    root = tmp_path_factory.mktemp("adult_gx")
    loaded = load_spec(ADULT_SPEC)
    parquet, md5, frame = version(loaded, root)
    settings = Settings(project=root, registry=root / "registry", remote=str(root / "remote"), gx_root=root / "gx")
    report = run_checks(loaded, parquet, data_hash=md5, settings=settings, store=True)
    return Version(loaded, parquet, md5, frame, report)
