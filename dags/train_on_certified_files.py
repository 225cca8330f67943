"""Example training DAG for a file dataset: runs when FairFace (validation) is certified, and trains
only on the certified files.

It takes the md5 from the Asset event that triggered it (or, run by hand, the latest event of that
Asset), checks that exact tree version out with ``datavet.open_certified`` (every file md5-verified
against the certified listing; altered bytes are refused) and fits a small gender classifier on the
images, reporting accuracy per race group, the figure a model card for a face model must cite.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from airflow.sdk import dag, task

from datavet.airflow.operators import certified_asset

FAIRFACE = certified_asset("fairface_val")


@dag(dag_id="datavet_train_fairface_val", schedule=[FAIRFACE], start_date=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
     catchup=False, tags=["datavet", "example"])
def train_fairface_val() -> None:
    @task(inlets=[FAIRFACE])
    def train(triggering_asset_events=None, inlet_events=None) -> dict:
        from datavet import open_certified
        from datavet.settings import Settings
        from datavet.training import fit_image_baseline

        events = list(triggering_asset_events[FAIRFACE]) if triggering_asset_events else []
        if not events:  # run by hand: use the latest certification event of the Asset
            events = list(inlet_events[FAIRFACE])[-1:]
        if not events:
            raise ValueError("fairface_val has never been certified: run datavet_certify_fairface_val first")
        extra = events[-1].extra
        files = open_certified("fairface_val", version=extra["md5"])
        metrics = fit_image_baseline(files, label="gender", group="race")
        metrics.update(md5=extra["md5"], tag=extra["tag"], checkout=str(files.folder))
        out = Path(os.environ.get("DATAVET_HOME", Settings.from_env().project / ".datavet")) / "models"
        out.mkdir(parents=True, exist_ok=True)
        (out / f"fairface_val-{extra['md5']}.json").write_text(json.dumps(metrics, indent=2))
        return metrics

    train()


train_fairface_val()
