"""The certify DAG end to end, through real Airflow (`airflow dags test`), git, DVC and GX."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import yaml

from datavet.errors import NotCertifiedError
from datavet.ingest import file_md5
from datavet.registry import Registry
from datavet.registry.certificate import Certificate
from datavet.settings import Settings
from tests.conftest import ADULT_SPEC, adult_spec_dict, example_spec_dict, make_project

pytestmark = pytest.mark.integration


def _registry(project: Path) -> Registry:
    settings = Settings.from_env(project)
    return Registry(settings.registry, settings.remote)


@pytest.fixture(scope="module")
def certified(airflow_home, tmp_path_factory):
    """Adult certified once through the real DAG; shared by the tests of this module."""
    project = tmp_path_factory.mktemp("adult_project")
    make_project(project, adult_spec_dict(), answers_from=ADULT_SPEC.parent / "answers.yaml")
    os.environ.pop("DATAVET_REGISTRY", None)
    proc = airflow_home.run(project, "dags", "test", "datavet_certify_adult")
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]
    return project, proc


def test_certificate_md5_matches_dvc_and_remote(certified):
    project, _ = certified
    registry = _registry(project)
    tags = registry.certified_tags("adult")
    assert tags == ["adult/certified/1"]
    dvc = yaml.safe_load(registry.dvc_file("adult").read_text())["outs"][0]
    cert = Certificate.from_path(registry.certificate_path("adult", dvc["md5"]))
    assert cert.md5 == dvc["md5"] == file_md5(registry.data_path("adult"))
    remote_obj = registry.remote_object(cert.md5)
    assert remote_obj is not None and file_md5(remote_obj) == cert.md5
    assert cert.rows == 32561 and cert.tag == "adult/certified/1" and cert.validation_success
    # the tagged commit holds the certificate and the .dvc pointer
    assert registry.recorded_md5("adult", rev=cert.tag) == cert.md5
    assert json.loads(registry.show(cert.tag, registry.certificate_path("adult", cert.md5)))["md5"] == cert.md5


def test_datasheets_exist_and_carry_the_md5(certified):
    project, _ = certified
    registry = _registry(project)
    md5 = registry.recorded_md5("adult")
    for name in ("datasheet.md", "datasheet.html", "datasheet.json"):
        text = (registry.datasheet_dir("adult") / name).read_text(encoding="utf-8")
        assert md5 in text, name


def test_asset_event_carries_md5_and_tag_and_queues_the_consumer(certified, airflow_home):
    project, _ = certified
    md5 = _registry(project).recorded_md5("adult")
    rows = airflow_home.sql("SELECT e.extra FROM asset_event e JOIN asset a ON a.id = e.asset_id "
                            "WHERE a.uri = 'datavet://certified/adult'")
    extras = [json.loads(r[0]) for r in rows]
    assert any(e.get("md5") == md5 and e.get("tag") == "adult/certified/1" for e in extras), extras
    # issue 20: what lets a consumer check the certification later, outside the registry
    import hashlib

    registry = _registry(project)
    # other modules certify Adult through the same Airflow home: this project's event is its commit's
    commit = registry.git("rev-parse", "adult/certified/1^{commit}")
    extra = next(e for e in extras if e.get("commit") == commit)
    assert extra["md5"] == md5 and extra["tag"] == "adult/certified/1"
    statement = registry.statement_path("adult", md5).read_bytes()
    assert extra["statement_sha256"] == hashlib.sha256(statement).hexdigest()
    key = registry.root.parent / "keys" / "datavet_ed25519.pub"
    assert extra["signer"] == subprocess.run(["ssh-keygen", "-l", "-f", str(key)], capture_output=True,
                                             text=True).stdout.split()[1]
    assert extra["sha256"] == hashlib.sha256(registry.data_path("adult").read_bytes()).hexdigest()
    queued = airflow_home.sql("SELECT q.target_dag_id FROM asset_dag_run_queue q JOIN asset a "
                              "ON a.id = q.asset_id WHERE a.uri = 'datavet://certified/adult'")
    assert ("datavet_train_adult",) in queued


def test_consumer_dag_trains_on_the_certified_version(certified, airflow_home):
    project, _ = certified
    md5 = _registry(project).recorded_md5("adult")
    proc = airflow_home.run(project, "dags", "test", "datavet_train_adult")
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]
    metrics = json.loads((project / ".datavet" / "models" / f"adult-{md5}.json").read_text())
    assert metrics["md5"] == md5 and metrics["rows"] == 32561
    assert 0.7 < metrics["accuracy"] <= 1.0


def test_second_run_is_a_noop(certified, airflow_home):
    project, _ = certified
    registry = _registry(project)
    head = registry.git("rev-parse", "HEAD")
    proc = airflow_home.run(project, "dags", "test", "datavet_certify_adult")
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    assert "already certified" in proc.stdout + proc.stderr
    assert registry.certified_tags("adult") == ["adult/certified/1"]
    assert registry.git("rev-parse", "HEAD") == head


def test_load_certified_returns_the_certified_bytes(certified):
    project, _ = certified
    settings = Settings.from_env(project)
    df = __import__("datavet").load_certified("adult", settings=settings)
    assert df.shape == (32561, 15)
    assert df["occupation"].isna().sum() == 1843  # "?" comes back as missing
    raw = __import__("datavet").load_certified("adult", settings=settings, missing_as_null=False)
    assert (raw["occupation"] == "?").sum() == 1843


def test_load_certified_refuses_altered_bytes(certified, tmp_path):
    project, _ = certified
    settings = Settings.from_env(project)
    registry = _registry(project)
    md5 = registry.recorded_md5("adult")
    cache = registry.cache_path(md5)
    original = cache.read_bytes()
    cache.chmod(stat.S_IRUSR | stat.S_IWUSR)
    try:
        altered = bytearray(original)
        altered[len(altered) // 2] ^= 0xFF
        cache.write_bytes(bytes(altered))
        with pytest.raises(NotCertifiedError, match="refusing altered data"):
            __import__("datavet").load_certified("adult", settings=settings)
        verify = subprocess.run([str(Path(os.sys.executable).parent / "datavet"), "verify",
                                 str(project / "datasheets/adult/dataset.yaml")], capture_output=True, text=True,
                                env={**os.environ, "DATAVET_PROJECT": str(project),
                                     "DATAVET_HOME": str(project / ".datavet")})
        assert verify.returncode == 1 and "DVC cache" in verify.stdout
    finally:
        cache.write_bytes(original)
    assert __import__("datavet").load_certified("adult", settings=settings).shape == (32561, 15)


def test_failing_error_check_fails_the_run_and_certifies_nothing(airflow_home, tmp_path):
    make_project(tmp_path, example_spec_dict(), answers_from=ADULT_SPEC.parent / "answers.yaml")
    proc = airflow_home.run(tmp_path, "dags", "test", "datavet_certify_adult")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out[-4000:]
    assert "representation on sex" in out and "min_ratio" in out  # the summary names check and limit
    registry = _registry(tmp_path)
    assert registry.certified_tags("adult") == []
    assert not (registry.root / "certificates").exists()
    remote = Path(registry.remote)
    assert not remote.exists() or not any(p.is_file() for p in remote.rglob("*"))
    with pytest.raises(NotCertifiedError):
        __import__("datavet").load_certified("adult", settings=Settings.from_env(tmp_path))
    assert isinstance(pd.DataFrame(), pd.DataFrame)
