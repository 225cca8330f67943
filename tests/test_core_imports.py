"""The core is usable without Airflow: importing it must not import Airflow."""

from __future__ import annotations

import subprocess
import sys


def test_core_does_not_import_airflow():
    code = ("import sys, datavet, datavet.spec, datavet.ingest, datavet.pipeline, datavet.registry, "
            "datavet.consume, datavet.registry.verify, datavet.cli, datavet.checks, datavet.datasheet; "
            "bad = [m for m in sys.modules if m == 'airflow' or m.startswith('airflow.')]; "
            "assert not bad, bad")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_provider_info_is_registered():
    from importlib.metadata import entry_points

    (ep,) = [e for e in entry_points(group="apache_airflow_provider") if e.value.startswith("datavet")]
    info = ep.load()()
    assert info["package-name"] == "datavet" and info["name"] == "datavet"


def test_airflow_lists_datavet_as_a_provider(tmp_path):
    import os
    from pathlib import Path

    env = {**os.environ, "AIRFLOW_HOME": str(tmp_path), "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
    proc = subprocess.run([str(Path(sys.executable).parent / "airflow"), "providers", "list", "--output", "plain"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert any(line.split()[:1] == ["datavet"] for line in proc.stdout.splitlines()), proc.stdout
