"""A certified version reaches Airflow whichever path certified it.

`datavet certify` (the CLI) certifies without Airflow, so no Asset event is emitted and a training
DAG scheduled on the dataset's Asset would never run. The certify DAG closes that gap: its tasks
read the Asset's events (the Asset is an inlet), and a version that is certified but has no event
carrying its md5 goes through the (then idempotent) stages to the certify task, which emits the
missing event once. A version already announced is skipped as before.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import Asset


def announced(context: Any, asset: Asset, md5: str, registry: str) -> bool:
    """Whether Airflow holds an event of ``asset`` for this md5 certified in this registry."""
    return any((event.extra or {}).get("md5") == md5 and (event.extra or {}).get("registry") == registry
               for event in context["inlet_events"][asset])
