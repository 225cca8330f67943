"""The outcome of each dataset's last pipeline run, kept beside the registry (``<home>/runs/``).

Airflow knows that a run failed; only datavet knows why in words an auditor can act on (the
published check summary, the spec problem). Each stage records its failure here and a certification
records success, so the auditor pages can say which datasets are blocked and why.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from datavet.fsutil import atomic_write_text
from datavet.settings import Settings


def _path(settings: Settings, dataset: str) -> Path:
    return settings.home / "runs" / f"{dataset}.json"


def record_run(settings: Settings, dataset: str, *, ok: bool, stage: str, run: str, message: str = "") -> None:
    """Replace the dataset's last-run record (atomically: a reader sees the old or the new one)."""
    record = {"dataset": dataset, "ok": ok, "stage": stage, "run": run, "message": message,
              "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    atomic_write_text(_path(settings, dataset), json.dumps(record, indent=2) + "\n")


def last_run(settings: Settings, dataset: str) -> dict | None:
    """The last recorded run of ``dataset``, or None if none was recorded (or the record is unreadable)."""
    path = _path(settings, dataset)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
