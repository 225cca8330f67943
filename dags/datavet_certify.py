"""One certify DAG per dataset spec under datasheets/*/dataset.yaml (see datavet.airflow.dag_factory)."""

from __future__ import annotations

from pathlib import Path

from datavet.airflow.dag_factory import certify_dags
from datavet.settings import find_project_root

# The project root is this file's parent folder unless DATAVET_PROJECT says otherwise.
globals().update(certify_dags(find_project_root(Path(__file__).resolve().parent.parent)))
