"""Silence what a datavet user cannot act on, and nothing else.

Each filter names one message from one library: Airflow's "Could not import graphviz" (only
`airflow dags show` renders graphs), pathspec's ``GitWildMatchPattern`` deprecation (raised inside
Airflow's DAG-file discovery), GX's advice to use a more specific SQL datasource (datavet picks the
datasource) and Airflow's "No tasks to run" while `airflow dags test` waits on the tasks a skipped
version task leaves (a no-op run, whose outcome line the version task logs). Warnings emitted
before datavet is imported (the graphviz one, at Airflow's CLI start) are silenced by the same
filters in ``PYTHONWARNINGS``: ``scripts/env.sh`` exports ``PYTHONWARNINGS_DATAVET``.
"""

from __future__ import annotations

import logging
import warnings

WARNINGS = (  # (action, message regex, category): also the PYTHONWARNINGS value below
    ("ignore", "Could not import graphviz", UserWarning),
    ("ignore", "GitWildMatchPattern", DeprecationWarning),
    ("ignore", "You are using a generic SQLDatasource", UserWarning),  # GX's GxDatasourceWarning
)
PYTHONWARNINGS_DATAVET = ",".join(f"{a}:{m}:{c.__name__}" for a, m, c in WARNINGS)
NO_TASKS = "No tasks to run"


class _NoTasksToRun(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(NO_TASKS)


def quiet() -> None:
    """Install the filters (idempotent: warnings.filterwarnings keeps one copy of each)."""
    for action, message, category in WARNINGS:
        warnings.filterwarnings(action, message=message, category=category)  # type: ignore[arg-type]
    dag_log = logging.getLogger("airflow.sdk.definitions.dag")
    if not any(isinstance(f, _NoTasksToRun) for f in dag_log.filters):
        dag_log.addFilter(_NoTasksToRun())
