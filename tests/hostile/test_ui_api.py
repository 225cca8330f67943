"""The auditor API of a real `airflow api-server` with a project certified by the CLI: a dataset name
is validated before it reaches git (a NUL byte is a 404, not a 500; ``*`` lists nothing), and no
response or page shows an absolute server path (spec, registry, cache, remote, source)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import AirflowHome
from tests.hostile.conftest import FaultProject, run_cli
from tests.ui.conftest import Server, serving


@pytest.fixture(scope="module")
def served(airflow_home: AirflowHome, certified_base: FaultProject, tmp_path_factory) -> tuple[Server, FaultProject]:
    project = FaultProject(tmp_path_factory.mktemp("ui_hostile") / "project")
    shutil.copytree(certified_base.root, project.root, symlinks=True)
    broken = project.root / "datasheets" / "broken" / "dataset.yaml"
    broken.parent.mkdir(parents=True)
    broken.write_text("name: broken\ntitle: [unclosed\n", encoding="utf-8")  # its error names its path
    run_cli(project.root, "certify", "datasheets/broken/dataset.yaml")
    with serving(airflow_home, project.root, "", project.root.parent / "api-server.log") as server:
        yield server, project


@pytest.mark.parametrize("name", ["titanic%00", "%2A", "titanic%2A", "%2A%2A", "..%2F..%2Fetc", "-titanic",
                                  "titanic%0A", "x" * 300, "titanic%5B0-9%5D", "%2Fcertified"])
def test_a_bad_dataset_name_is_a_404(served, name) -> None:
    server, _ = served
    token = server.token("auditor")
    for path in (f"/datavet/api/datasets/{name}", f"/datavet/api/datasets/{name}/versions/1",
                 f"/datavet/api/datasets/{name}/versions/1/verify", f"/datavet/datasets/{name}/versions/1",
                 f"/datavet/datasets/{name}/versions/1/files/certificate.json"):
        resp = server.get(path, token)
        assert resp.status_code in (400, 404), (path, resp.status_code, resp.text[:500])
        assert "titanic/certified" not in resp.text, (path, resp.text[:500])


def test_no_absolute_server_path_is_shown(served) -> None:
    server, project = served
    token = server.token("auditor")
    secret_roots = {str(project.root), str(project.root.resolve()), str(Path(project.settings.remote)),
                    str(project.registry.root), str(project.source.resolve().parent), "/tmp/"}
    pages = ["/datavet/api/datasets", "/datavet/api/datasets/titanic", "/datavet/api/datasets/titanic/versions/1",
             "/datavet/api/datasets/titanic/versions/1/verify", "/datavet/api/datasets/broken", "/datavet/",
             "/datavet/datasets/titanic", "/datavet/datasets/titanic/versions/1?verify=true",
             "/datavet/datasets/broken", "/datavet/api/datasets/nosuch"]
    for path in pages:
        resp = server.get(path, token)
        assert resp.status_code in (200, 404), (path, resp.status_code, resp.text[:500])
        for root in secret_roots:
            assert root not in resp.text, (path, root, resp.text[:2000])
    listing = server.get("/datavet/api/datasets", token).json()
    by_name = {row["name"]: row for row in listing}
    assert by_name["titanic"]["spec"] == "datasheets/titanic/dataset.yaml"
    assert by_name["broken"]["spec_error"] and "datasheets/broken/dataset.yaml" in by_name["broken"]["spec_error"]
    cert = server.get("/datavet/api/datasets/titanic/versions/1", token).json()["certificate"]
    assert not os.path.isabs(cert["remote"]) and cert["data_path"].startswith("data/")
