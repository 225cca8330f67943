"""One certify DAG per spec: version -> validate -> datasheet -> certify.

Only the YAML spec is read at parse time (for the name and schedule); data is touched in tasks.
DVC stages run one at a time per DAG and take the registry's file lock across DAGs.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from airflow.sdk import DAG

from datavet.airflow.operators import (
    DatavetCertifyOperator,
    DatavetDatasheetOperator,
    DatavetValidateOperator,
    DatavetVersionOperator,
    InvalidSpecOperator,
    certified_asset,
)
from datavet.errors import SpecError
from datavet.spec import dag_id_for, discover_specs, load_spec

DEFAULT_ARGS = {"retries": 2, "retry_delay": dt.timedelta(seconds=30), "owner": "datavet"}


def certify_dag(spec_path: Path) -> DAG:
    loaded = load_spec(spec_path)
    spec = loaded.spec
    with DAG(
        dag_id=dag_id_for(spec.name),
        description=f"Version, check, document and certify {spec.title}",
        schedule=spec.schedule,
        start_date=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
        catchup=False,
        max_active_runs=1,
        default_args=DEFAULT_ARGS,
        tags=["datavet", spec.name],
        doc_md=f"Certify **{spec.name}** ({spec.title}) from `{spec_path}`. Owner: {spec.owner}.",
    ) as dag:
        path = str(loaded.path)
        asset = certified_asset(spec.name)  # an inlet too: a version certified elsewhere is announced once
        version = DatavetVersionOperator(task_id="version", spec_path=path, max_active_tis_per_dag=1,
                                         inlets=[asset])
        validate = DatavetValidateOperator(task_id="validate", spec_path=path)
        datasheet = DatavetDatasheetOperator(task_id="datasheet", spec_path=path)
        certify = DatavetCertifyOperator(task_id="certify", spec_path=path, max_active_tis_per_dag=1,
                                         inlets=[asset], outlets=[asset])
        version >> validate >> datasheet >> certify
    return dag


def broken_spec_dag(spec_path: Path, error: SpecError) -> DAG:
    """A spec that does not validate still gets a DAG, whose one task fails with every problem:
    the data engineer sees it in the UI, and the other datasets' DAGs keep working."""
    name = spec_path.parent.name
    with DAG(dag_id=dag_id_for(name), schedule=None, start_date=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
             catchup=False, tags=["datavet", "invalid-spec"], doc_md=f"```\n{error}\n```") as dag:
        InvalidSpecOperator(task_id="invalid_spec", spec_path=str(spec_path), message=str(error))
    return dag


def certify_dags(project_root: Path) -> dict[str, DAG]:
    """Every spec under ``datasheets/*/dataset.yaml`` becomes a DAG: adding a dataset is adding a file."""
    dags = {}
    for path in discover_specs(project_root):
        try:
            dag = certify_dag(path)
        except SpecError as exc:
            dag = broken_spec_dag(path, exc)
        dags[dag.dag_id] = dag
    return dags
