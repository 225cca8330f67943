"""Airflow's single registration point for datavet (entry point ``apache_airflow_provider``)."""

from __future__ import annotations

from datavet import __version__


def get_provider_info() -> dict:
    return {
        "package-name": "datavet",
        "name": "datavet",
        "description": "Version (DVC), check (Great Expectations), document (datasheets) and certify "
                       "datasets before they reach training.",
        "versions": [__version__],
        "operators": [{"integration-name": "datavet",
                       "python-modules": ["datavet.airflow.operators"]}],
        "integrations": [{"integration-name": "datavet", "external-doc-url": "https://example.org/datavet",
                          "tags": ["software"]}],
    }
