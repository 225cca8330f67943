"""The last run of each certify DAG, from Airflow's metadata DB (the API server has a session)."""

from __future__ import annotations

from typing import Any

from datavet.spec import dag_id_for


def last_dag_run(name: str) -> dict[str, Any] | None:
    """State, id and failed tasks of the newest run of ``datavet_certify_<name>`` (None if never run)."""
    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import select

    dag_id = dag_id_for(name)
    with create_session() as session:
        run = session.scalars(select(DagRun).where(DagRun.dag_id == dag_id)
                              .order_by(DagRun.run_after.desc(), DagRun.id.desc()).limit(1)).first()
        if run is None:
            return None
        failed = session.scalars(select(TaskInstance.task_id).where(
            TaskInstance.dag_id == dag_id, TaskInstance.run_id == run.run_id,
            TaskInstance.state == "failed")).all()
        return {"dag_id": dag_id, "run_id": run.run_id, "state": getattr(run.state, "value", run.state),
                "at": run.run_after.isoformat() if run.run_after else None, "failed_tasks": sorted(failed)}
