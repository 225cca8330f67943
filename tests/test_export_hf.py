"""`datavet export hf SPEC OUTDIR`: a Hugging Face dataset folder from a certified version, written
with no network at all (run in an empty network namespace), whose card huggingface_hub loads."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from huggingface_hub import DatasetCard

from datavet.ingest import file_md5
from datavet.registry import Registry
from datavet.settings import Settings
from tests.conftest import ADULT_SPEC, adult_spec_dict, make_project, project_env

DATAVET = str(Path(sys.executable).parent / "datavet")
UNSHARE = shutil.which("unshare")
pytestmark = pytest.mark.integration


def run(project: Path, *args: str, offline: bool = False) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **project_env(project)}
    cmd = [DATAVET, *args]
    if offline:  # a fresh network namespace: no interface but loopback, no DNS
        cmd = [UNSHARE, "-n", *cmd]
    return subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def certified(tmp_path_factory) -> tuple[Path, Path, Registry]:
    project = tmp_path_factory.mktemp("export_project")
    spec = make_project(project, adult_spec_dict(), answers_from=ADULT_SPEC.parent / "answers.yaml")
    proc = run(project, "certify", str(spec))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    settings = Settings.from_env(project)
    return project, spec, Registry(settings.registry, settings.remote)


@pytest.mark.skipif(UNSHARE is None, reason="needs unshare(1) to cut the network")
def test_export_writes_an_uploadable_folder_offline(certified, tmp_path) -> None:
    project, spec, registry = certified
    out = tmp_path / "hf-adult"
    proc = run(project, "export", "hf", str(spec), str(out), offline=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    md5 = registry.recorded_md5("adult")
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == \
        ["README.md", "certificate.json", "data/adult.parquet"]
    # the card is the certified one, byte for byte, and the data are the certified bytes
    assert (out / "README.md").read_bytes() == registry.show("adult/certified/1",
                                                             registry.datasheet_dir("adult") / "datasheet.md")
    assert file_md5(out / "data" / "adult.parquet") == md5
    assert json.loads((out / "certificate.json").read_text())["md5"] == md5
    assert pd.read_parquet(out / "data" / "adult.parquet").shape == (32561, 15)
    # huggingface_hub reads the front matter as dataset-card metadata (strict: errors are raised)
    card = DatasetCard.load(out / "README.md", ignore_metadata_errors=False)
    assert card.data.pretty_name == "UCI Adult census-income extract (1994 Current Population Survey)"
    assert card.data.license == "cc-by-4.0"  # a Hub licence id
    assert card.data.size_categories == ["10K<n<100K"]  # the Hub's bucket for 32,561 rows
    assert card.data.task_categories == ["tabular-classification"]
    assert card.data.to_dict()["datavet"]["data_md5"] == md5
    assert "# " in card.text and md5 in card.text
    # an auditor can check the exported card against the registry
    verify = run(project, "verify", str(out / "README.md"))
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_export_refuses_a_non_empty_folder_and_writes_nothing(certified, tmp_path) -> None:
    project, spec, _ = certified
    out = tmp_path / "busy"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    proc = run(project, "export", "hf", str(spec), str(out))
    assert proc.returncode == 2
    assert "dataset 'adult'" in proc.stderr and "is not an empty folder" in proc.stderr and "Fix:" in proc.stderr
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".busy.")]


def test_export_refuses_altered_bytes(certified, tmp_path) -> None:
    project, spec, registry = certified
    md5 = registry.recorded_md5("adult")
    cache = registry.cache_path(md5)
    original = cache.read_bytes()
    cache.chmod(stat.S_IRUSR | stat.S_IWUSR)
    try:
        altered = bytearray(original)
        altered[len(altered) // 2] ^= 0xFF
        cache.write_bytes(bytes(altered))
        proc = run(project, "export", "hf", str(spec), str(tmp_path / "out"))
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert "no longer matches its certificate" in proc.stderr and "DVC cache" in proc.stderr
        assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".out.*"))
    finally:
        cache.write_bytes(original)


def test_export_of_an_uncertified_dataset_says_so(tmp_path) -> None:
    spec = make_project(tmp_path, adult_spec_dict(), answers_from=ADULT_SPEC.parent / "answers.yaml")
    proc = run(tmp_path, "export", "hf", str(spec), str(tmp_path / "out"))
    assert proc.returncode == 2 and "has no certified version" in proc.stderr
    assert not (tmp_path / "out").exists()
