"""One certify DAG per spec: version -> validate -> datasheet -> certify.

Only the YAML spec is read at parse time (for the name and schedule); data is touched in tasks.
DVC stages run one at a time per DAG and take the registry's file lock across DAGs.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
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
from datavet.errors import DatavetError, SpecError
from datavet.spec import dag_id_for, discover_specs, load_spec
from datavet.yamltext import excerpt

log = logging.getLogger(__name__)

def _inline(text: str) -> str:
    """Spec text inside the DAG's Markdown doc: one line, no Markdown or HTML of its own."""
    return re.sub(r"([\\`*_\[\]<>#|!])", r"\\\1", " ".join(text.split()))


def _fenced(text: str) -> str:
    """``text`` as a Markdown code block whose fence no backtick run inside it can close."""
    fence = "`" * max(3, 1 + max((len(run) for run in re.findall(r"`+", text)), default=0))
    return f"{fence}\n{text}\n{fence}"


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
        doc_md=f"Certify **{spec.name}** ({_inline(spec.title)}) from `{spec_path}`. Owner: {_inline(spec.owner)}.",
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


def broken_spec_dag(spec_path: Path, error: Exception) -> DAG:
    """A spec that does not validate still gets a DAG, whose one task fails with every problem:
    the data engineer sees it in the UI, and the other datasets' DAGs keep working."""
    name = spec_path.parent.name
    if not isinstance(error, DatavetError):  # a bug or the environment, not the spec's text: say what it was
        error = SpecError(str(spec_path), [f"{spec_path}: the DAG could not be built from it "
                                           f"({type(error).__name__}: {excerpt(str(error), 300)})"])
    with DAG(dag_id=dag_id_for(name), schedule=None, start_date=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
             catchup=False, tags=["datavet", "invalid-spec"], doc_md=_fenced(str(error))) as dag:
        InvalidSpecOperator(task_id="invalid_spec", spec_path=str(spec_path), message=str(error))
    return dag


def certify_dags(project_root: Path) -> dict[str, DAG]:
    """Every spec under ``datasheets/*/dataset.yaml`` becomes a DAG: adding a dataset is adding a file."""
    dags = {}
    for path in discover_specs(project_root):
        try:
            dag = certify_dag(path)
        except Exception as exc:  # one spec, whatever is wrong with it, never hides the other datasets' DAGs
            log.warning("datavet: %s: %s", path, excerpt(str(exc), 300))
            dag = broken_spec_dag(path, exc)
        dags[dag.dag_id] = dag
    return dags
