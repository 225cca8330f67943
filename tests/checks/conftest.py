"""Fixtures for the checks tests: real datasets from ../shared/data and throw-away projects."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from datavet.ingest import read_source, write_parquet
from datavet.settings import Settings
from datavet.spec import LoadedSpec, load_spec

DATA = (Path(__file__).resolve().parents[2] / ".." / "shared" / "data").resolve()
REPO = Path(__file__).resolve().parents[2]

ADULT_NAMES = ["age", "workclass", "fnlwgt", "education", "education-num", "marital-status", "occupation",
               "relationship", "race", "sex", "capital-gain", "capital-loss", "hours-per-week", "native-country",
               "income"]


def base_spec(name: str, path: Path, **extra: Any) -> dict[str, Any]:
    return {"name": name, "title": name, "owner": "tests@example.org", "license": "CC-BY-4.0",
            "source": {"path": str(path), "format": "csv"}, **extra}


def make_loaded(root: Path, spec: dict[str, Any]) -> tuple[LoadedSpec, Settings]:
    """A project under ``root`` holding ``spec``; settings point GX and expectations into it."""
    folder = root / "datasheets" / spec["name"]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "dataset.yaml").write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    loaded = load_spec(folder / "dataset.yaml")
    return loaded, Settings(project=root, registry=root / ".datavet" / "registry", remote="", gx_root=root / "gx")


def adult_spec() -> dict[str, Any]:
    spec = yaml.safe_load((REPO / "datasheets" / "adult" / "dataset.yaml").read_text())
    spec["source"]["path"] = str(DATA / "adult.data")
    spec.pop("datasheet", None)
    return spec


def close(a: Any, b: Any, tol: float) -> bool:
    """Deep comparison: same keys/lengths, numbers within ``tol``, everything else equal."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(close(a[k], b[k], tol) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(close(x, y, tol) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, (int, float)) and not isinstance(b, bool):
        return math.isclose(a, b, rel_tol=0, abs_tol=tol)
    return a == b


class Project:
    """A loaded spec, its settings, the data as read by ingest and its Parquet version."""

    def __init__(self, root: Path, spec: dict[str, Any]) -> None:
        self.loaded, self.settings = make_loaded(root, spec)
        self.df: pd.DataFrame = read_source(self.loaded)
        self.parquet = root / f"{spec['name']}.parquet"
        self.md5 = write_parquet(self.df, self.parquet)

    def run(self, engine: str, **kwargs: Any):
        from datavet.checks import run_checks

        data = self.df if engine == "pandas" else self.parquet
        return run_checks(self.loaded, data, data_hash=self.md5, engine=engine, settings=self.settings, **kwargs)


@pytest.fixture(scope="module")
def module_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("checks")


def by_check(report, check: str, *, breakdowns: bool = False, **where: Any):
    """The results of ``check`` whose fields match ``where`` (e.g. column='sex'); the default breakdowns
    the spec does not list (datavet.checks.breakdowns) only with ``breakdowns=True``."""
    return [c for c in report.checks if c.check == check and (breakdowns or not c.breakdown)
            and all(getattr(c, k) == v for k, v in where.items())]
