"""Faults and signals through the real CLI: bad settings, Ctrl-C during certify, a read-only
DATAVET_HOME, a full disk, an abandoned version folder. Each ends with exit 2 (130 for Ctrl-C), one
message naming what and where, no traceback, no temporary file left, and the registry as it was."""

from __future__ import annotations

import os
import shutil
import signal
import time
from pathlib import Path

import pytest

from tests.hostile.conftest import (
    FaultProject,
    assert_refused,
    registry_snapshot,
    run_cli,
    temp_leftovers,
    tmpfs,
    unprivileged,
    write_titanic,
)

SPEC = "datasheets/titanic/dataset.yaml"


@pytest.mark.parametrize(("variable", "value", "command"), [
    ("DATAVET_ENGINE", "oracle", "check"), ("DATAVET_LOCK_TIMEOUT", "abc", "certify"),
    ("DATAVET_LOCK_TIMEOUT", "-5", "certify"), ("DATAVET_DUCKDB_THREADS", "0", "check"),
    ("DATAVET_SPARK_CONF", "{not json", "check"), ("DATAVET_DUCKDB_MEMORY_LIMIT", "lots", "check"),
])
def test_a_bad_setting_is_one_line(project: FaultProject, variable, value, command) -> None:
    before = registry_snapshot(project.registry)
    run = run_cli(project.root, command, SPEC, env={variable: value})
    assert_refused(run, variable, "Fix:")
    assert len(run.err.strip().splitlines()) == 1, run.err
    assert registry_snapshot(project.registry) == before


def _wait_for(predicate, timeout: float = 120) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def _staging(project: FaultProject) -> Path:
    return project.registry.root / ".staging" / "titanic"


MOMENTS = {
    # when Ctrl-C comes: while the source is read into the version, or once the checks have run
    "versioning": lambda p: any(_staging(p).glob("incoming-*")),
    "after validation": lambda p: any(_staging(p).glob("*/validation.json")) or any(_staging(p).glob("*/datasheet")),
}


SIGNALS = {"SIGINT": (signal.SIGINT, 130, "interrupted"), "SIGTERM": (signal.SIGTERM, 143, "terminated")}


@pytest.mark.parametrize(("moment", "sent"), [("versioning", "SIGINT"), ("after validation", "SIGINT"),
                                              ("after validation", "SIGTERM")])
def test_ctrl_c_during_certify(project: FaultProject, moment: str, sent: str) -> None:
    number, code, word = SIGNALS[sent]
    write_titanic(project.source)  # all 891 passengers: a new version to certify
    before = registry_snapshot(project.registry)
    seen: list[bool] = []

    def interrupt(pid: int) -> None:
        seen.append(_wait_for(lambda: MOMENTS[moment](project)))
        os.kill(pid, number)

    run = run_cli(project.root, "certify", SPEC, on_start=interrupt)
    if run.code == 0:
        pytest.fail(f"certify finished before {sent} reached it ({moment}, seen={seen}): {run.out[-500:]}")
    assert_refused(run, word, code=code)
    assert run.err.strip().splitlines()[-1].startswith(f"datavet: {word}"), run.err
    after = registry_snapshot(project.registry)
    # a signal that lands after the push leaves the pushed object in the remote: content-addressed and
    # unreferenced, never deleted (remotes can be shared; datavet.stages.certify); nothing else changes
    pushed = {path: md5 for path, md5 in after["remote"].items() if path not in before["remote"]}
    assert after["remote"] == {**before["remote"], **pushed} and len(pushed) <= 1, pushed
    assert all(path.replace("/", "").endswith(md5) for path, md5 in pushed.items()), pushed  # whole, intact
    assert {**after, "remote": before["remote"]} == before
    assert not temp_leftovers(project.root / ".datavet")
    rerun = run_cli(project.root, "certify", SPEC)  # and the next run certifies, as if nothing happened
    assert rerun.code == 0, rerun.text[-3000:]
    assert project.registry.certified_tags("titanic") == ["titanic/certified/1", "titanic/certified/2"]


def test_read_only_home(project: FaultProject) -> None:
    write_titanic(project.source)
    before = registry_snapshot(project.registry)
    home = project.root / ".datavet"
    modes = {p: p.stat().st_mode for p in [home, *home.rglob("*")] if not p.is_symlink()}
    for path in modes:
        path.chmod(path.stat().st_mode & ~0o222)
    try:
        run = run_cli(project.root, "certify", SPEC, prefix=unprivileged())
    finally:
        for path, mode in modes.items():
            path.chmod(mode)
    assert_refused(run, str(home), "Fix:")
    assert "writable" in run.err or "write" in run.err, run.err
    assert registry_snapshot(project.registry) == before


SPARE_KB = [8, 96, 400]


@pytest.mark.parametrize("spare_kb", SPARE_KB)
def test_full_disk_under_datavet_home(project: FaultProject, tmp_path: Path, spare_kb: int) -> None:
    """The whole project on a tmpfs with a few KiB to spare: certify of a new version fails where the
    disk runs out (the version, the GX results, the documents, the commit), cleanly."""
    write_titanic(project.source)
    used_kb = sum(p.stat().st_size for p in project.root.rglob("*") if p.is_file()) // 1024
    with tmpfs(tmp_path / "disk", used_kb + 1024 + spare_kb) as disk:
        copy = FaultProject(disk / "project")
        shutil.copytree(project.root, copy.root, symlinks=True)
        free = shutil.disk_usage(disk).free // 1024
        filler = disk / "filler"
        filler.write_bytes(b"\0" * max(0, (free - spare_kb) * 1024))  # leave exactly spare_kb free
        before = registry_snapshot(copy.registry)
        leftovers = temp_leftovers(copy.root)
        run = run_cli(copy.root, "certify", SPEC)
        if run.code == 0:  # enough room after all (only the roomiest case may have it): certified completely
            assert spare_kb == max(SPARE_KB), run.text[-2000:]
            assert copy.registry.certified_tags("titanic")[-1] == "titanic/certified/2"
            return
        assert_refused(run, "Fix:")
        assert "No space left" in run.err or "no space" in run.err.lower(), run.err
        assert "Traceback" not in run.text and "During handling" not in run.text
        assert registry_snapshot(copy.registry) == before
        assert temp_leftovers(copy.root) == leftovers, temp_leftovers(copy.root) - leftovers
        filler.unlink()
        rerun = run_cli(copy.root, "certify", SPEC)  # room again: the next run certifies
        assert rerun.code == 0, rerun.text[-3000:]


def test_a_kill_during_versioning_leaves_nothing_for_long(project: FaultProject) -> None:
    """SIGKILL while the source streams into the version: the scratch folder with its partial Parquet
    stays (nothing can run after SIGKILL) until the next run, which removes it."""
    write_titanic(project.source)

    def kill(pid: int) -> None:
        _wait_for(lambda: any(_staging(project).glob("incoming-*")))
        os.kill(pid, signal.SIGKILL)

    run = run_cli(project.root, "certify", SPEC, on_start=kill)
    assert run.code == -signal.SIGKILL
    left = list(_staging(project).glob("incoming-*"))
    assert left, "the kill came too late to leave anything"
    rerun = run_cli(project.root, "certify", SPEC)
    assert rerun.code == 0, rerun.text[-3000:]
    assert not any(_staging(project).glob("incoming-*")), list(_staging(project).iterdir())
    assert not any(_staging(project).glob(".incoming-*.lock")), list(_staging(project).iterdir())


def test_a_live_runs_scratch_folder_is_never_removed(project: FaultProject) -> None:
    """The clean-up spares a folder whose run still holds its lock (two runs of one DAG at once)."""
    from datavet.stages.version import incoming

    with incoming(project.registry, "titanic") as live:
        (live / "part.parquet").write_bytes(b"PAR1")
        with incoming(project.registry, "titanic") as other:
            assert live.is_dir() and (live / "part.parquet").exists() and other != live
        assert not other.exists()
    assert not live.exists() and not list(_staging(project).iterdir())
