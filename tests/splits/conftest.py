"""UCI Adult as a splits source (``adult.data`` as train, ``adult.test`` as test), read independently
with pandas for the figures the tests compare with."""

from __future__ import annotations

from typing import Any

import pandas as pd

from tests.conftest import SHARED_DATA

NAMES = ["age", "workclass", "fnlwgt", "education", "education-num", "marital-status", "occupation",
         "relationship", "race", "sex", "capital-gain", "capital-loss", "hours-per-week", "native-country", "income"]
OPTIONS = {"header": None, "names": NAMES, "skipinitialspace": True}


def adult_split(name: str) -> pd.DataFrame:
    """A split as pandas reads it: adult.test's first line is junk, its labels end with '.'."""
    if name == "train":
        return pd.read_csv(SHARED_DATA / "adult.data", **OPTIONS)
    return pd.read_csv(SHARED_DATA / "adult.test", skiprows=1, **OPTIONS)


def adult_splits_spec(name: str = "adultsplits", **extra: Any) -> dict[str, Any]:
    return {
        "name": name, "title": "UCI Adult, train and test", "owner": "qa@example.org", "license": "CC-BY-4.0",
        "source": {"splits": {
            "train": {"path": str(SHARED_DATA / "adult.data"), "format": "csv", "options": OPTIONS},
            "test": {"path": str(SHARED_DATA / "adult.test"), "format": "csv", "options": {**OPTIONS, "skiprows": 1}},
        }},
        "missing_tokens": ["?"],
        "columns": {"race": {"role": "protected"}, "sex": {"role": "protected"},
                    "income": {"role": "label", "positive": ">50K",
                               "values": {">50K.": ">50K", "<=50K.": "<=50K"}}},
        "checks": {"representation": [{"column": "race", "min_count": 100, "splits": ["test"], "severity": "warning"}],
                   "leakage": {"severity": "warning"},
                   "split_shift": [{"column": "sex", "label": "income", "max_tvd": 0.05}]},
        **extra}
