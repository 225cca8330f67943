"""Written files follow the umask, as any other tool's output does: an auditor's account in the
owner's group can read the datasheets, reports and metrics datavet writes."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from datavet.fsutil import atomic_copy, atomic_write_text
from datavet.ingest import write_parquet
from tests.conftest import ADULT_SPEC, adult_spec_dict, make_project

DATAVET = str(Path(sys.executable).parent / "datavet")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(params=[0o022, 0o027])
def umask(request):
    old = os.umask(request.param)
    yield request.param
    os.umask(old)


def test_atomic_writes_and_parquet_follow_the_umask(tmp_path, umask):
    atomic_write_text(tmp_path / "a.json", "{}\n")
    atomic_copy(tmp_path / "a.json", tmp_path / "sub" / "b.json")
    write_parquet(pd.DataFrame({"x": ["1", "2"]}), tmp_path / "v.parquet")
    for name in ("a.json", "sub/b.json", "v.parquet"):
        assert _mode(tmp_path / name) == 0o666 & ~umask, name
    assert not [p for p in tmp_path.rglob("*.tmp")]


def test_cli_outputs_follow_the_umask(tmp_path):
    spec = make_project(tmp_path, adult_spec_dict(), answers_from=ADULT_SPEC.parent / "answers.yaml")
    env = {**os.environ, "DATAVET_PROJECT": str(tmp_path), "DATAVET_HOME": str(tmp_path / ".datavet")}

    def run(*args: str) -> None:
        proc = subprocess.run([DATAVET, *args], cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=600, preexec_fn=lambda: os.umask(0o027))
        assert proc.returncode == 0, proc.stdout + proc.stderr

    run("check", str(spec), "--json", "out/report.json", "--metrics", "out/metrics.json")
    run("datasheet", str(spec), "--out", "sheet")
    for rel in ("out/report.json", "out/metrics.json", "sheet/datasheet.md", "sheet/datasheet.html",
                "sheet/datasheet.json"):
        assert _mode(tmp_path / rel) == 0o640, rel
