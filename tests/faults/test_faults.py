"""Faults of the environment during a certification: the remote gone or read-only, a full disk, a worker
killed with SIGKILL, two runs at once, the source or the cached bytes vanishing between stages.

Each failure is a DatavetError naming the dataset and a fix, leaves the registry exactly as it was
(``registry_snapshot``), and the next run (or an Airflow retry of the stage) recovers by itself.
"""

from __future__ import annotations

import contextlib
import json
import math
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from datavet.errors import DataError, RegistryError
from datavet.pipeline import certify, document, run_all, validate, version
from datavet.registry.verify import verify_version
from datavet.settings import Settings
from tests.faults.conftest import DATAVET, FaultProject, registry_snapshot, write_titanic

TAGS = ["titanic/certified/1"]
TAGS_AFTER = ["titanic/certified/1", "titanic/certified/2"]


@pytest.fixture(scope="module")
def staged_base(certified_base: FaultProject, tmp_path_factory: pytest.TempPathFactory) -> tuple[FaultProject, str]:
    """All 891 passengers (a new version) versioned, validated and documented, not yet certified."""
    project = FaultProject(tmp_path_factory.mktemp("staged") / "project")
    shutil.copytree(certified_base.root, project.root, symlinks=True)
    write_titanic(project.source)
    loaded = project.loaded()
    info = version(loaded, project.settings)
    validate(loaded, project.settings, info.md5)
    document(loaded, project.settings, info.md5)
    return project, info.md5


@pytest.fixture
def staged(staged_base: tuple[FaultProject, str], tmp_path: Path) -> tuple[FaultProject, str]:
    base, md5 = staged_base
    project = FaultProject(tmp_path / "project")
    shutil.copytree(base.root, project.root, symlinks=True)
    return project, md5


def assert_recovered(project: FaultProject, md5: str) -> None:
    """After the recovering run: one new tag for exactly these bytes, everything verifies, nothing is left over."""
    registry = project.registry
    assert registry.certified_tags("titanic") == TAGS_AFTER
    assert registry.recorded_md5("titanic", rev=TAGS_AFTER[-1]) == md5
    result = verify_version(registry, "titanic")
    assert result.ok, result.text()
    after = registry_snapshot(registry)
    assert after["tracked_status"] == after["untracked"] == "" and not after["index_lock"]
    assert f"files/md5/{md5[:2]}/{md5[2:]}" in after["remote"]


def assert_clear(exc: BaseException, *fragments: str) -> None:
    text = str(exc)
    assert getattr(exc, "dataset", None) == "titanic" and getattr(exc, "fix", None), text
    assert "Fix:" in text and all(f in text for f in fragments), text


@contextlib.contextmanager
def mounted(path: Path, *options: str, source: str = "tmpfs", fstype: str | None = "tmpfs") -> Iterator[Path]:
    """A real mount (tmpfs of a given size, or a read-only bind mount) for the duration of a test."""
    path.mkdir(parents=True, exist_ok=True)
    cmd = ["mount", *(["-t", fstype] if fstype else []), *options, source, str(path)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"needs root and mount(8) to simulate the fault: {proc.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=True)


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[Path]:
    """The directory as a read-only file system (root ignores chmod, so a bind mount remounted ro)."""
    with mounted(path, "--bind", source=str(path), fstype=None):
        subprocess.run(["mount", "-o", "remount,ro,bind", str(path)], check=True)
        yield path


# ---- the remote ---------------------------------------------------------------------------------
@pytest.mark.parametrize("fault", ["missing", "read-only"])
def test_remote_unavailable_at_certification(staged: tuple[FaultProject, str], fault: str) -> None:
    project, md5 = staged
    registry, loaded = project.registry, project.loaded()
    remote = Path(registry.remote)
    before = registry_snapshot(registry)
    with contextlib.ExitStack() as stack:
        if fault == "missing":  # the remote's mount is gone: a plain file where the directory was
            remote.rename(remote.with_name("remote.away"))
            remote.write_text("not a directory\n")
        else:
            stack.enter_context(read_only(remote))
        with pytest.raises(RegistryError) as err:
            certify(loaded, project.settings, md5)
        assert_clear(err.value, "dvc push")
        assert err.value.retryable  # Airflow retries it
        during = registry_snapshot(registry)
        assert {k: v for k, v in during.items() if k != "remote"} == {k: v for k, v in before.items() if k != "remote"}
    if fault == "missing":
        remote.unlink()
        remote.with_name("remote.away").rename(remote)
    assert registry_snapshot(registry) == before
    cert, created = certify(loaded, project.settings, md5)  # the Airflow retry, once the remote is back
    assert created and cert.tag == TAGS_AFTER[-1]
    assert_recovered(project, md5)


def test_remote_that_cannot_be_created(project: FaultProject, tmp_path: Path) -> None:
    (tmp_path / "offline").write_text("a file, so no directory can be made under it\n")
    write_titanic(project.source)
    before = registry_snapshot(project.registry)
    settings = Settings(project=project.root, registry=project.settings.registry,
                        remote=str(tmp_path / "offline" / "remote"), gx_root=project.settings.gx_root)
    with pytest.raises(RegistryError) as err:
        run_all(project.loaded(), settings)
    assert_clear(err.value, "cannot create the DVC remote", "DATAVET_REMOTE")
    assert registry_snapshot(project.registry) == before


# ---- a full disk --------------------------------------------------------------------------------
def test_disk_full_while_rendering_the_datasheet(staged: tuple[FaultProject, str]) -> None:
    """A 16 KiB tmpfs as the staging folder of the datasheet: the Markdown alone is larger."""
    project, md5 = staged
    loaded, registry = project.loaded(), project.registry
    before = registry_snapshot(registry)
    out = registry.staging_dir("titanic", md5) / "datasheet"
    with mounted(out, "-o", "size=16k"):
        with pytest.raises(RegistryError) as err:
            document(loaded, project.settings, md5)
        assert_clear(err.value, "document stage failed", "No space left on device")
        assert list(out.iterdir()) == []  # no partial datasheet, no temp file
    assert registry_snapshot(registry) == before
    document(loaded, project.settings, md5)  # the retry, with space again
    cert, created = certify(loaded, project.settings, md5)
    assert created
    assert_recovered(project, md5)


def test_disk_full_while_placing_the_datasheet_in_the_registry(staged: tuple[FaultProject, str]) -> None:
    """The registry's datasheet folder on a tmpfs holding the certified files with 8 KiB to spare."""
    project, md5 = staged
    loaded, registry = project.loaded(), project.registry
    folder = registry.datasheet_dir("titanic")
    current = {p.name: p.read_bytes() for p in folder.iterdir()}
    size = sum(4096 * math.ceil(len(b) / 4096) for b in current.values()) + 8192
    before = registry_snapshot(registry)
    with mounted(folder, "-o", f"size={size}"):
        for name, data in current.items():
            (folder / name).write_bytes(data)
        assert registry_snapshot(registry) == before  # the mount is invisible to git
        with pytest.raises(RegistryError) as err:
            certify(loaded, project.settings, md5)
        assert_clear(err.value, "certify stage failed", "No space left on device")
        assert registry_snapshot(registry) == before
        assert sorted(p.name for p in folder.iterdir()) == sorted(current)  # no temp files left
    cert, created = certify(loaded, project.settings, md5)
    assert created
    assert_recovered(project, md5)


# ---- a killed worker ----------------------------------------------------------------------------
KILLER = """
import os, signal, sys
from pathlib import Path
from datavet.registry import dvctree
from datavet.pipeline import certify
from datavet.registry import Registry
from datavet.settings import Settings
from datavet.spec import load_spec

root, md5, *step = sys.argv[1:]
after = step[-1] == "done"  # "git tag -s done": killed right after the tag, before the journal is closed
step = step[:-1] if after else step
run = Registry.run

def command(args):  # the git subcommand without its -c options (the signing ones)
    out, skip = [], False
    for arg in args:
        if skip or arg == "-c":
            skip = not skip
            continue
        out.append(arg)
    return out

def run_or_die(self, *args, check=True):
    if command(args)[:len(step)] == step and not after:
        os.kill(os.getpid(), signal.SIGKILL)  # kill -9 at exactly this step: no handler, no cleanup
    proc = run(self, *args, check=check)
    if command(args)[:len(step)] == step:
        os.kill(os.getpid(), signal.SIGKILL)
    return proc

def store_or_die(*args, **kwargs):  # a local remote is pushed to by copying objects, not by dvc
    if step == ["push"] and kwargs.get("link") is False:
        os.kill(os.getpid(), signal.SIGKILL)
    return store(*args, **kwargs)

Registry.run = run_or_die
store = dvctree.store_object
dvctree.store_object = store_or_die
root = Path(root)
settings = Settings(project=root, registry=root / ".datavet/registry", remote=str(root / ".datavet/remote"),
                    gx_root=root / "gx")
certify(load_spec(root / "datasheets/titanic/dataset.yaml"), settings, md5)
"""


@pytest.mark.parametrize("step", ["push", "git add", "git commit", "git tag -s", "git tag -s done"])
def test_worker_killed_during_certification(staged: tuple[FaultProject, str], step: str) -> None:
    """SIGKILL before the push, after the documents are placed, during the commit, right before
    the tag (the commit exists, untagged) or right after it (the journal still open): never a tag
    without its certificate; meanwhile verify and history tell the truth about the certified
    version (the journal says a certification is pending); the next run discards the leftovers
    (stale index.lock, untagged commit, changed files) or finishes, and certifies."""
    from datavet.registry.history import certified_versions_of

    project, md5 = staged
    registry = project.registry
    before = registry_snapshot(registry)
    proc = subprocess.run([sys.executable, "-c", KILLER, str(project.root), md5, *step.split()],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-3000:]
    killed = registry_snapshot(registry)
    assert registry.journal_path.is_file()  # the write-ahead record of the killed certification
    if step == "git tag -s done":  # the tag was the last step: certified, only the journal is left over
        assert killed["tags"].keys() == set(TAGS_AFTER)
        assert verify_version(registry, "titanic").ok
        certify(project.loaded(), project.settings, md5)
        assert not registry.journal_path.exists()
        assert_recovered(project, md5)
        return
    assert killed["tags"] == before["tags"]  # no tag: the certification did not happen
    if step == "git commit":  # as if git died mid-commit too
        (registry.root / ".git" / "index.lock").write_text("")
    truth = verify_version(registry, "titanic")  # the certified version is as it was: verify says so
    assert truth.ok and truth.tag == TAGS[0], truth.text()
    assert any("interrupted" in note for note in truth.notes), truth.text()
    assert [r["tag"] for r in certified_versions_of(registry, "titanic")] == TAGS
    from datavet import load_certified

    assert load_certified("titanic", settings=project.settings).attrs["datavet"]["tag"] == TAGS[0]
    if step == "git add":
        run_all(project.loaded(), project.settings)  # the next full DAG run
    else:
        certify(project.loaded(), project.settings, md5)  # Airflow's retry of the certify task
    assert_recovered(project, md5)
    assert registry.git("rev-parse", "HEAD~1") == before["head"]  # no orphan commit left in history


# ---- two runs at once ---------------------------------------------------------------------------
def test_two_runs_at_once_certify_once(project: FaultProject) -> None:
    write_titanic(project.source)
    runs = [subprocess.Popen([DATAVET, "certify", str(project.spec_path)], cwd=project.root, env=project.env(),
                             text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert sum("already certified" in out for out, _ in outputs) == 1, outputs
    md5 = project.registry.recorded_md5("titanic", rev="HEAD")
    assert md5 is not None
    assert_recovered(project, md5)


# ---- the source and the cached bytes ------------------------------------------------------------
def test_source_missing_before_version(project: FaultProject) -> None:
    before = registry_snapshot(project.registry)
    project.source.unlink()
    with pytest.raises(DataError) as err:
        run_all(project.loaded(), project.settings)
    assert_clear(err.value, "does not exist", "check source.path")
    assert registry_snapshot(project.registry) == before


def test_source_deleted_after_version_certifies_the_captured_bytes(project: FaultProject) -> None:
    """After the version stage the source is no longer read: the bytes in the DVC cache are the version."""
    write_titanic(project.source)
    loaded = project.loaded()
    info = version(loaded, project.settings)
    project.source.unlink()
    validate(loaded, project.settings, info.md5)
    document(loaded, project.settings, info.md5)
    cert, created = certify(loaded, project.settings, info.md5)
    assert created and cert.md5 == info.md5 and cert.rows == 891
    assert_recovered(project, info.md5)


def test_cached_bytes_vanish_between_stages(project: FaultProject) -> None:
    """`dvc gc` (or a cleaned cache) between version and validate: a clear, retryable error; the next
    run stores the bytes again."""
    write_titanic(project.source)
    loaded = project.loaded()
    before = registry_snapshot(project.registry)
    info = version(loaded, project.settings)
    project.registry.cache_path(info.md5).unlink()
    with pytest.raises(RegistryError) as err:
        validate(loaded, project.settings, info.md5)
    assert_clear(err.value, f"no copy of version {info.md5}", "re-run the whole certify DAG")
    assert registry_snapshot(project.registry) == before
    run_all(loaded, project.settings)
    assert_recovered(project, info.md5)


# ---- retries ------------------------------------------------------------------------------------
def run_independent(sheet: dict) -> dict:
    """A datasheet without what names the run (when it was generated, the GX result id)."""
    validation = {k: v for k, v in sheet.get("validation", {}).items() if k not in ("result_id", "run_time")}
    return {**{k: v for k, v in sheet.items() if k != "generated_at"}, "validation": validation}


def test_every_stage_can_run_again_with_the_same_result(staged: tuple[FaultProject, str]) -> None:
    """What an Airflow retry does: re-running a finished stage gives the same version, checks and
    datasheet, and re-running certify changes nothing."""
    project, md5 = staged
    loaded, settings, registry = project.loaded(), project.settings, project.registry
    staging = registry.staging_dir("titanic", md5)
    report = json.loads((staging / "report.json").read_text())
    sheet = json.loads((staging / "datasheet" / "datasheet.json").read_text())
    before = registry_snapshot(registry)

    assert version(loaded, settings).md5 == md5
    assert registry_snapshot(registry) == before
    again = json.loads(validate(loaded, settings, md5).to_json())
    assert again["checks"] == report["checks"] and again["data_hash"] == md5
    paths = document(loaded, settings, md5)
    assert run_independent(json.loads(paths["json"].read_text())) == run_independent(sheet)

    first, created = certify(loaded, settings, md5)
    assert created
    certified = registry_snapshot(registry)
    for stage in (certify, validate, document):  # all no-ops now, even with the staging folder gone
        stage(loaded, settings, md5)
    second, created = certify(loaded, settings, md5)
    assert not created and second == first
    assert registry_snapshot(registry) == certified
    assert_recovered(project, md5)
