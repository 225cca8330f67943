"""The five real datasets every engine is compared on, as specs (the same ones tests/checks uses)."""

from __future__ import annotations

from typing import Any

from tests.checks.conftest import DATA, adult_spec, base_spec
from tests.checks.test_datasets import bank_spec, german_spec, titanic_spec


def fairface_spec() -> dict[str, Any]:
    """The FairFace manifest as a table (10,954 rows: file, age band, gender, race, service_test)."""
    spec = base_spec("fairface", DATA / "fairface_label_val.csv")
    spec["columns"] = {"race": {"role": "protected"}, "gender": {"role": "protected"},
                       "age": {"role": "protected"}, "file": {"role": "identifying"}}
    spec["checks"] = {
        "missingness": {"max_rate": 0.0},
        "representation": [{"column": "race", "min_share": 0.1},
                           {"column": "gender", "reference": {"Male": 0.5, "Female": 0.5}, "max_tvd": 0.05}],
        "intersectional": [{"columns": ["race", "gender", "age"], "min_count": 20}],
        "label_balance": [{"label": "service_test", "by": "race", "max_parity_difference": 0.2}],
    }
    spec["columns"]["service_test"] = {"role": "label", "positive": "True"}
    return spec


DATASETS = {"adult": adult_spec, "titanic": titanic_spec, "german": german_spec, "bank": bank_spec,
            "fairface": fairface_spec}
