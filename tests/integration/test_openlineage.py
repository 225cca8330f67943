"""OpenLineage events of a real certify DAG run (Airflow's OpenLineage provider, file transport):
the version's md5, one data-quality assertion per check, metrics within the small-cell rule and
the datasheet as documentation."""

from __future__ import annotations

import json
import subprocess

import pandas as pd
import pytest

from datavet.registry import Registry
from datavet.settings import Settings
from tests.conftest import ADULT_SPEC, adult_spec_dict, make_project
from tests.datasheet.reportkit import missing_mask

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def events(airflow_home, tmp_path_factory) -> tuple[list[dict], Registry]:
    project = tmp_path_factory.mktemp("ol_project")
    make_project(project, adult_spec_dict(), answers_from=ADULT_SPEC.parent / "answers.yaml")
    log = project / "openlineage.jsonl"
    env = airflow_home.env(project)
    env.update({"AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps({"type": "file", "log_file_path": str(log),
                                                                "append": True}),
                "AIRFLOW__OPENLINEAGE__NAMESPACE": "datavet-test"})
    proc = subprocess.run([str(airflow_home.bin / "airflow"), "dags", "test", "datavet_certify_adult"], env=env,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]
    assert log.exists(), (proc.stdout + proc.stderr)[-4000:]
    settings = Settings.from_env(project)
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()], \
        Registry(settings.registry, settings.remote)


def _complete(events: list[dict], task: str) -> dict:
    found = [e for e in events if e["eventType"] == "COMPLETE" and e["job"]["name"].endswith(f".{task}")]
    assert len(found) == 1, [(e["eventType"], e["job"]["name"]) for e in events]
    return found[0]


def test_every_stage_reports_the_version_md5(events) -> None:
    evs, registry = events
    md5 = registry.recorded_md5("adult")
    data = str(registry.data_path("adult"))
    for task in ("version", "validate", "datasheet", "certify"):
        (out,) = _complete(evs, task)["outputs"]
        assert (out["namespace"], out["name"]) == ("file", data)
        assert out["facets"]["version"]["datasetVersion"] == md5


def test_one_assertion_per_check_with_its_outcome(events) -> None:
    evs, registry = events
    md5 = registry.recorded_md5("adult")
    report = json.loads(registry.show("adult/certified/1", registry.validation_path("adult", md5)))
    for task in ("validate", "certify"):
        (inp,) = _complete(evs, task)["inputs"]
        assertions = inp["inputFacets"]["dataQualityAssertions"]["assertions"]
        assert [(a["assertion"], a.get("column"), a["success"], a["severity"]) for a in assertions] == \
            [(c["check"], c.get("column"), c["success"], {"warning": "warn"}.get(c["severity"], c["severity"]))
             for c in report["checks"]]
        warned = [a for a in assertions if not a["success"]]
        assert warned and all(a["severity"] == "warn" and a["actual"] for a in warned)
        assert inp["inputFacets"]["dataQualityAssertions"]["_schemaURL"].split("/facets/")[1].startswith("1-1-0/")
        limits = [json.loads(a["expected"]) for a in assertions if a.get("expected")]
        assert limits == [c["thresholds"] for c in report["checks"] if c["thresholds"]]


def test_metrics_match_pandas_and_withhold_small_cells(events) -> None:
    evs, registry = events
    (inp,) = _complete(evs, "validate")["inputs"]
    metrics = inp["facets"]["dataQualityMetrics"]  # the dataset-level facet
    assert metrics["_schemaURL"].endswith("DataQualityMetricsDatasetFacet.json#/$defs/DataQualityMetricsDatasetFacet")
    df = pd.read_parquet(registry.data_path("adult"))
    assert metrics["rowCount"] == len(df) == 32561
    assert metrics["bytes"] == registry.data_path("adult").stat().st_size
    for col in df.columns:
        missing = missing_mask(df[col], ["?"])
        got = metrics["columnMetrics"][col]
        assert got["distinctCount"] == df[col][~missing].nunique(), col
        n = int(missing.sum())
        assert got.get("nullCount") == (None if 0 < n < 10 else n), col
    assert metrics["columnMetrics"]["occupation"]["nullCount"] == 1843


def test_the_version_stage_reads_the_source_file(events) -> None:
    evs, _ = events
    (source,) = _complete(evs, "version")["inputs"]
    assert (source["namespace"], source["name"]) == ("file", str((ADULT_SPEC.parents[2] / ".." / "shared" / "data" /
                                                                   "adult.data").resolve()))


def test_datasheet_is_the_documentation(events) -> None:
    evs, registry = events
    (out,) = _complete(evs, "certify")["outputs"]
    doc = out["facets"]["documentation"]
    assert doc["contentType"] == "text/markdown"
    assert doc["description"] == (registry.datasheet_dir("adult") / "datasheet.md").read_text(encoding="utf-8")


def test_certify_carries_the_signed_statement_signer_and_commit(events) -> None:
    """The custom facet lets a reader outside the registry check it later (issue 20)."""
    import hashlib

    evs, registry = events
    (out,) = _complete(evs, "certify")["outputs"]
    facet = out["facets"]["datavet_provenance"]
    md5 = registry.recorded_md5("adult")
    key = registry.root.parent / "keys" / "datavet_ed25519.pub"
    signer = subprocess.run(["ssh-keygen", "-l", "-f", str(key)], capture_output=True, text=True).stdout.split()[1]
    assert facet["signer"] == signer
    assert facet["statementSha256"] == hashlib.sha256(registry.statement_path("adult", md5).read_bytes()).hexdigest()
    assert facet["commit"] == registry.git("rev-parse", "adult/certified/1^{commit}")
    assert facet["sha256"] == hashlib.sha256(registry.data_path("adult").read_bytes()).hexdigest()
    assert facet["tag"] == "adult/certified/1"
