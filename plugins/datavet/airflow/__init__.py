"""The thin Airflow layer: operators over ``datavet.pipeline`` and a DAG factory per spec."""
