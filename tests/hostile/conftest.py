"""Shared pieces of the hostile-input tests: a throw-away project run through the real CLI, and what
every refusal must look like (exit code, one message naming what and where, no traceback, no secret)."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import SHARED_DATA
from tests.faults.conftest import FaultProject, certified_base, project, registry_snapshot, write_titanic  # noqa: F401

DATAVET = str(Path(sys.executable).parent / "datavet")
TITANIC = SHARED_DATA / "titanic_train.csv"


def titanic_spec(name: str = "titanic", **extra: Any) -> dict[str, Any]:
    """Titanic read from ../shared/data, Sex protected (a spec that certifies when nothing is wrong)."""
    return {"name": name, "title": "Titanic passengers", "owner": "tests@example.org", "license": "CC0-1.0",
            "source": {"path": str(TITANIC), "format": "csv"},
            "columns": {"Sex": {"role": "protected"}, "Survived": {"role": "label", "positive": 1}}, **extra}


@dataclass
class Run:
    code: int
    out: str
    err: str
    seconds: float
    max_rss_mb: float

    @property
    def text(self) -> str:
        return self.out + self.err


def run_cli(root: Path, *args: str, env: dict[str, str] | None = None, timeout: int = 300,
            prefix: list[str] | None = None, on_start: Any = None) -> Run:
    """``datavet ARGS`` in ``root``, state under ``root/.datavet``; its wall time and its own peak
    memory. ``on_start(pid)`` runs while it does (the pid signals reach: ``time`` passes them on)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("DATAVET")}
    base.update({"DATAVET_PROJECT": str(root), "DATAVET_HOME": str(root / ".datavet"), **(env or {})})
    # /usr/bin/time measures the peak itself: a child forked from pytest would count pytest's own pages
    # (Linux keeps the high-water mark across exec), a child of the small `time` process does not
    # (signals go to the pid started here: with on_start, datavet is started directly)
    timing = (["/usr/bin/time", "-f", "%M", "-o", str(root / ".peak-kb")]
              if on_start is None and Path("/usr/bin/time").exists() else [])
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        began = time.monotonic()
        proc = subprocess.Popen([*timing, *(prefix or []), DATAVET, *args], cwd=root, env=base, stdout=out,
                                stderr=err)
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            if on_start is not None:
                on_start(proc.pid)
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - began
        out.seek(0)
        err.seek(0)
        peak_kb = usage.ru_maxrss
        if timing:
            peak = root / ".peak-kb"
            with contextlib.suppress(OSError, ValueError, IndexError):
                peak_kb = int(peak.read_text().split()[-1])
            peak.unlink(missing_ok=True)
        return Run(proc.returncode, out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"),
                   seconds, peak_kb / 1024)


def unprivileged() -> list[str]:
    """A command prefix that runs without root's right to read and write any file (so file modes
    count), or a skip saying why it cannot be had here."""
    if os.geteuid() != 0:
        return []
    prefix = ["setpriv", "--inh-caps=-all", "--bounding-set=-dac_override,-dac_read_search"]
    if not shutil.which("setpriv") or subprocess.run([*prefix, "true"], capture_output=True).returncode:
        pytest.skip("running as root, and setpriv cannot drop CAP_DAC_OVERRIDE here: file modes would not count")
    return prefix


def assert_refused(run: Run, *words: str, code: int = 2, secrets: tuple[str, ...] = ()) -> None:
    """A clean refusal: the exit code, the words (what and where), no traceback, no secret."""
    assert run.code == code, run.text[-3000:]
    assert "Traceback" not in run.text, run.text[-3000:]
    for word in words:
        assert word in run.err, (word, run.err[-3000:])
    for secret in secrets:
        assert secret not in run.text, run.text[-3000:]
    assert len(run.err) < 4000, f"a {len(run.err)}-character message"


def write_project(root: Path, spec: dict[str, Any] | str, answers: dict[str, Any] | str | None = None) -> Path:
    """A project holding one spec (a dict, or YAML text as an attacker writes it); the spec's path."""
    name = spec["name"] if isinstance(spec, dict) else "hostile"
    folder = root / "datasheets" / name
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "dataset.yaml"
    path.write_text(spec if isinstance(spec, str) else yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    if answers is not None:
        (folder / "answers.yaml").write_text(answers if isinstance(answers, str) else yaml.safe_dump(answers),
                                             encoding="utf-8")
    (root / "expectations").mkdir(exist_ok=True)
    return path


@pytest.fixture(scope="module")
def pg_server():
    """A real PostgreSQL (tests/pg.py) holding ``people`` (Titanic's passengers) and ``victim``."""
    import pandas as pd

    from tests import pg
    from tests.conftest import require

    require(pg.missing_requirement())
    server = pg.start_server()
    try:
        server.load("people", pd.read_csv(TITANIC)[["PassengerId", "Sex", "Survived"]])
        server.load("victim", pd.DataFrame({"x": [1, 2, 3]}))
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def tmpfs(path: Path, size_kb: int) -> Iterator[Path]:
    """A real tmpfs of ``size_kb`` KiB at ``path`` (a full disk), or a skip saying why it cannot be had."""
    path.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(path)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"a full disk needs a tmpfs, and mount(8) refused here: {proc.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def temp_leftovers(root: Path) -> set[str]:
    """Files a writer leaves while it works (``.x.<hex>.tmp``, ``.tmp-*``, ``incoming-*``), DVC's own
    ``.dvc/tmp`` state aside."""
    found = set()
    for path in root.rglob("*"):
        rel = path.relative_to(root).as_posix()
        if "/.dvc/tmp" in f"/{rel}" or "/.git/" in f"/{rel}/":
            continue
        if path.name.endswith(".tmp") or path.name.startswith((".tmp-", "incoming-")) or ".tmp." in path.name:
            found.add(rel)
    return found
