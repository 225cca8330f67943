"""The thin Airflow layer: operators over ``datavet.pipeline`` and a DAG factory per spec."""

from datavet.quiet import quiet as _quiet

_quiet()  # DAG files import this package: Airflow's and GX's noise is filtered in every task
