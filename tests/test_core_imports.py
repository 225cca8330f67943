"""The core is usable without Airflow: importing it must not import Airflow."""

from __future__ import annotations

import subprocess
import sys


def test_core_does_not_import_airflow():
    code = ("import sys, datavet, datavet.spec, datavet.ingest, datavet.pipeline, datavet.registry, "
            "datavet.consume, datavet.verify, datavet.cli, datavet.checks, datavet.datasheet; "
            "bad = [m for m in sys.modules if m == 'airflow' or m.startswith('airflow.')]; "
            "assert not bad, bad")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_provider_info_is_registered():
    from importlib.metadata import entry_points

    (ep,) = [e for e in entry_points(group="apache_airflow_provider") if e.value.startswith("datavet")]
    info = ep.load()()
    assert info["package-name"] == "datavet" and info["name"] == "datavet"
