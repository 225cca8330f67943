"""Airflow loads this file from the plugins folder: datavet's auditor pages in the Airflow UI.

The app is mounted at ``/datavet`` on the API server (Airflow 3 FastAPI plugin) and shown in the
navigation as "Datasets". Its code lives in the ``datavet`` package (datavet.airflow.ui).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from airflow.configuration import conf
from airflow.plugins_manager import AirflowPlugin

from datavet.airflow.ui.app import app

# Served under [api] base_url's path (e.g. https://host/airflow/ -> /airflow/datavet/).
ROOT = urlsplit(conf.get("api", "base_url", fallback="") or "/").path.rstrip("/")


class DatavetUIPlugin(AirflowPlugin):
    name = "datavet_ui"
    fastapi_apps = [{"app": app, "url_prefix": "/datavet", "name": "datavet"}]
    external_views = [{"name": "Datasets", "href": f"{ROOT}/datavet/", "destination": "nav", "category": "browse",
                       "url_route": "datavet"}]
