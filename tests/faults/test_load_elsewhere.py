"""``datavet.load_certified`` called from outside the project folder (a notebook elsewhere): it finds
the registry from DATAVET_HOME or DATAVET_PROJECT, and when it finds none it names the path it used."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.faults.conftest import FaultProject

SCRIPT = """
import datavet
from datavet.errors import NotCertifiedError
try:
    df = datavet.load_certified("titanic")
except NotCertifiedError as exc:
    print("ERROR", exc)
else:
    print("ROWS", len(df), df.attrs["datavet"]["md5"])
"""


def _run(cwd, **env: str) -> str:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DATAVET", "AIRFLOW"))}
    proc = subprocess.run([sys.executable, "-c", SCRIPT], cwd=cwd, env={**base, **env}, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


@pytest.mark.parametrize("variable", ["DATAVET_HOME", "DATAVET_PROJECT"])
def test_found_from_the_environment(certified_base: FaultProject, tmp_path, variable: str) -> None:
    value = certified_base.root / ".datavet" if variable == "DATAVET_HOME" else certified_base.root
    md5 = certified_base.registry.recorded_md5("titanic", rev="titanic/certified/1")
    assert _run(tmp_path, **{variable: str(value)}) == f"ROWS 700 {md5}"


def test_not_found_names_the_registry_it_looked_in(tmp_path) -> None:
    out = _run(tmp_path)
    expected = tmp_path.resolve() / ".datavet" / "registry"
    assert out.startswith("ERROR") and str(expected) in out, out
    assert "DATAVET_HOME" in out and "DATAVET_PROJECT" in out, out


def test_an_empty_registry_is_named_too(certified_base: FaultProject, tmp_path) -> None:
    """A registry that exists but never certified this dataset: the message says which registry."""
    script_home = certified_base.root / ".datavet"
    proc = subprocess.run([sys.executable, "-c", SCRIPT.replace('"titanic"', '"adult"')], cwd=tmp_path,
                          env={**{k: v for k, v in os.environ.items() if not k.startswith("DATAVET")},
                               "DATAVET_HOME": str(script_home)}, capture_output=True, text=True, timeout=120)
    assert "has no certified version" in proc.stdout and str(script_home / "registry") in proc.stdout, proc.stdout
