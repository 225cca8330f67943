"""Airflow imports datavet while parsing DAG files: ``import datavet.checks`` must not import GX."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_importing_checks_does_not_import_great_expectations():
    plugins = Path(__file__).resolve().parents[2] / "plugins"
    code = "import sys, datavet.checks, datavet.figures; print('great_expectations' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(plugins)})
    assert out.stdout.strip() == "False"
