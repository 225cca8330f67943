"""Example training DAG for a dataset certified with splits: trains on ``split="train"`` and measures on
``split="validation"`` of one certified version, never on anything else.

Run by hand with the dataset's name (``airflow dags test datavet_train_on_splits -c '{"dataset":
"faces"}'``) or trigger it from a certify DAG. The split is the version's ``split`` column (a
``labels_from_path`` group or a manifest column), the column the ``leakage`` and ``split_shift``
checks compared before the version was certified. Both splits come from the same verified checkout.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from airflow.sdk import Param, dag, task


@dag(dag_id="datavet_train_on_splits", schedule=None, start_date=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
     catchup=False, tags=["datavet", "example"],
     params={"dataset": Param("fairface_val", type="string"), "label": Param("gender", type="string"),
             "group": Param("race", type="string")})
def train_on_splits() -> None:
    @task
    def train(params=None) -> dict:
        from datavet import open_certified
        from datavet.settings import Settings
        from datavet.training import fit_image_baseline

        name = params["dataset"]
        train_files = open_certified(name, split="train")
        validation = open_certified(name, version=train_files.md5, split="validation")  # the same version
        metrics = fit_image_baseline(train_files, label=params["label"], group=params["group"], evaluate=validation)
        metrics.update(md5=train_files.md5, tag=train_files.tag, train_files=len(train_files),
                       validation_files=len(validation))
        out = Path(os.environ.get("DATAVET_HOME", Settings.from_env().project / ".datavet")) / "models"
        out.mkdir(parents=True, exist_ok=True)
        (out / f"{name}-splits-{train_files.md5}.json").write_text(json.dumps(metrics, indent=2))
        return metrics

    train()


train_on_splits()
