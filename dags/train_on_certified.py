"""Example training DAG: runs when Adult is certified, and trains only on the certified bytes.

It reads the md5 from the Asset event that triggered it (or, when run by hand, the latest event of
that Asset), loads exactly that version with ``datavet.load_certified`` (which refuses bytes whose
md5 differs from the certificate), and fits a small logistic-regression baseline, reporting
accuracy and the positive-prediction rate per sex, so that the model card can cite them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from airflow.sdk import dag, task

from datavet.airflow.operators import certified_asset

ADULT = certified_asset("adult")


@dag(dag_id="datavet_train_adult", schedule=[ADULT], start_date=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
     catchup=False, tags=["datavet", "example"])
def train_adult() -> None:
    @task(inlets=[ADULT])
    def train(triggering_asset_events=None, inlet_events=None) -> dict:
        from datavet import load_certified
        from datavet.settings import Settings
        from datavet.training import fit_baseline

        events = list(triggering_asset_events[ADULT]) if triggering_asset_events else []
        if not events:  # run by hand: use the latest certification event of the Asset
            events = list(inlet_events[ADULT])[-1:]
        if not events:
            raise ValueError("adult has never been certified: run datavet_certify_adult first")
        extra = events[-1].extra
        df = load_certified("adult", version=extra["md5"])
        metrics = fit_baseline(df, label="income", positive=">50K", group="sex")
        metrics.update(md5=extra["md5"], tag=extra["tag"])
        out = Path(os.environ.get("DATAVET_HOME", Settings.from_env().project / ".datavet")) / "models"
        out.mkdir(parents=True, exist_ok=True)
        (out / f"adult-{extra['md5']}.json").write_text(json.dumps(metrics, indent=2))
        return metrics

    train()


train_adult()
