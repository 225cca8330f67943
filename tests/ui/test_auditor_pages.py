"""The auditor pages inside a real `airflow api-server` (simple auth manager, served under a
sub-path): what a logged-in auditor finds, and that nothing answers without a login."""

from __future__ import annotations

import json
import os
import re

import pytest

from datavet.ingest import file_md5
from datavet.registry import Registry
from datavet.settings import Settings
from tests.datasheet.conftest import INJECTED
from tests.ui.conftest import SUB_PATH

pytestmark = pytest.mark.integration

URLS = ["/datavet/", "/datavet/datasets/adult", "/datavet/datasets/adult/versions/1",
        "/datavet/datasets/adult/versions/1/files/datasheet.html",
        "/datavet/datasets/adult/versions/1/files/certificate.json"]
API = ["/datavet/api/datasets", "/datavet/api/datasets/adult", "/datavet/api/datasets/adult/versions/1",
       "/datavet/api/datasets/adult/versions/1/verify"]


def _registry(project) -> Registry:
    s = Settings.from_env(project)
    return Registry(s.registry, s.remote)


def test_index_lists_adult_with_its_tag_md5_and_datasheet(api_server, certified_project) -> None:
    registry = _registry(certified_project)
    md5 = registry.recorded_md5("adult")
    assert md5 == file_md5(registry.data_path("adult"))
    token = api_server.token("auditor")
    page = api_server.get("/datavet/", token)
    assert page.status_code == 200, page.text[-2000:]
    assert "default-src 'none'" in page.headers["content-security-policy"]
    row = re.search(r"<tr>\s*<td><a href=\"/airflow/datavet/datasets/adult\">adult</a>.*?</tr>", page.text, re.S)
    assert row, page.text[-3000:]
    assert "adult/certified/1" in row.group(0) and md5 in row.group(0) and "32561" in row.group(0)
    assert ">OK</span>" in row.group(0)  # verify status
    # every link stays under the sub-path
    links = re.findall(r'href="([^"]+)"', page.text)
    assert links and all(link.startswith(f"{SUB_PATH}/datavet/") for link in links), links
    version = api_server.get("/datavet/datasets/adult/versions/1", token)
    assert version.status_code == 200 and md5 in version.text
    sheet = api_server.get("/datavet/datasets/adult/versions/1/files/datasheet.html", token)
    committed = registry.show("adult/certified/1", registry.datasheet_dir("adult") / "datasheet.html")
    assert sheet.status_code == 200 and sheet.content == committed and md5.encode() in sheet.content
    assert sheet.headers["content-security-policy"].startswith("default-src 'none'")


def test_json_api_matches_the_registry(api_server, certified_project) -> None:
    registry = _registry(certified_project)
    token = api_server.token("auditor")
    rows = {r["name"]: r for r in api_server.get("/datavet/api/datasets", token).json()}
    assert set(rows) == {"adult", "adult_strict", "titanic"}
    cert_path = registry.certificate_path("adult", registry.recorded_md5("adult"))
    cert = json.loads(registry.show("adult/certified/1", cert_path))
    latest = rows["adult"]["latest"]
    assert (latest["tag"], latest["md5"], latest["rows"]) == ("adult/certified/1", cert["md5"], 32561)
    assert latest["passed"] == sum(c["success"] for c in cert["checks"]) and latest["checks"] == len(cert["checks"])
    assert rows["adult"]["verify"]["ok"] is True and rows["adult"]["failing"] is None
    assert rows["adult"]["airflow_run"]["state"] == "success"
    detail = api_server.get("/datavet/api/datasets/adult/versions/1", token).json()
    # the certificate as committed, its absolute server paths shown relative to the registry
    assert detail["certificate"] == {**cert, "remote": os.path.relpath(cert["remote"], registry.root)}
    report = json.loads(registry.show("adult/certified/1", registry.validation_path("adult", cert["md5"])))
    assert [(c["check"], c["limits"], c["success"]) for c in detail["checks"]] == \
        [(c["check"], c["thresholds"], c["success"]) for c in report["checks"]]
    assert set(detail["downloads"]) >= {"datasheet.md", "datasheet.json", "datasheet.html", "certificate.json"}
    verify = api_server.get("/datavet/api/datasets/adult/versions/1/verify", token).json()
    assert verify["ok"] and verify["md5"] == cert["md5"] and "data in DVC cache" in verify["checked"]
    missing = api_server.get("/datavet/api/datasets/adult/versions/9", token)
    assert missing.status_code == 404 and "no certified version 9" in missing.json()["detail"]


def test_a_failed_run_is_listed_with_its_reason(api_server) -> None:
    token = api_server.token("auditor")
    rows = {r["name"]: r for r in api_server.get("/datavet/api/datasets", token).json()}
    strict = rows["adult_strict"]
    assert strict["latest"] is None and strict["airflow_run"]["state"] == "failed"
    assert strict["airflow_run"]["failed_tasks"] == ["validate"]
    assert strict["last_run"]["stage"] == "validate" and not strict["last_run"]["ok"]
    assert "representation on sex" in strict["failing"] and "min_ratio" in strict["failing"]
    page = api_server.get("/datavet/", token).text
    failing = re.search(r'<ul id="failing">(.*?)</ul>', page, re.S).group(1)
    assert "adult_strict" in failing and "representation on sex" in failing and ">adult<" not in failing


def test_titanic_certified_by_the_cli_shows_its_warning_and_escapes_the_injected_value(api_server) -> None:
    token = api_server.token("auditor")
    rows = {r["name"]: r for r in api_server.get("/datavet/api/datasets", token).json()}
    assert rows["titanic"]["latest"]["warnings"], rows["titanic"]
    assert rows["titanic"]["last_run"]["run"] == "cli" and rows["titanic"]["last_run"]["ok"] is True
    page = api_server.get("/datavet/datasets/titanic/versions/1", token)
    assert page.status_code == 200
    assert INJECTED not in page.text and "&lt;script&gt;document.title=" in page.text  # shown, as text


@pytest.mark.parametrize("path", URLS + API)
def test_nothing_answers_without_a_login(api_server, path) -> None:
    anonymous = api_server.get(path, follow_redirects=False)
    forged = api_server.get(path, "not-a-jwt", follow_redirects=False)
    if "/api/" in path:
        assert anonymous.status_code == 401 and forged.status_code == 401
    else:  # a person is sent to Airflow's login page, and comes back after it
        for resp in (anonymous, forged):
            assert resp.status_code == 303, resp.text[:300]
            assert resp.headers["location"].startswith(f"{SUB_PATH}/auth/login?next=")
    for resp in (anonymous, forged):
        assert "adult/certified" not in resp.text and "md5" not in resp.text


@pytest.mark.parametrize("path", ["/datavet/", *API])
def test_a_user_without_asset_read_is_refused(api_server, path) -> None:
    resp = api_server.get(path, api_server.token("nobody"), follow_redirects=False)
    assert resp.status_code == 403, resp.text[:300]
    assert "adult/certified" not in resp.text


def test_the_plugin_is_registered_with_its_navigation_entry(api_server) -> None:
    plugins = api_server.get("/api/v2/plugins", api_server.token("auditor")).json()["plugins"]
    ours = next(p for p in plugins if p["name"] == "datavet_ui")
    assert ours["fastapi_apps"][0]["url_prefix"] == "/datavet"
    view = ours["external_views"][0]
    assert view["name"] == "Datasets" and view["href"] == f"{SUB_PATH}/datavet/"


def test_croissant_is_certified_verified_and_served(api_server, certified_project) -> None:
    import mlcroissant as mlc

    from datavet import catalogue
    from datavet.fsutil import sha256_file

    registry = _registry(certified_project)
    md5 = registry.recorded_md5("adult")
    path = registry.datasheet_dir("adult") / "datasheet.croissant.json"
    cert = json.loads(registry.show("adult/certified/1", registry.certificate_path("adult", md5)))
    assert cert["files"]["datasheets/adult/datasheet.croissant.json"] == sha256_file(path)
    dataset = mlc.Dataset(jsonld=path)  # its contentUrl resolves to the registry's data file
    assert dataset.metadata.distribution[0].md5 == md5
    served = api_server.get("/datavet/datasets/adult/versions/1/files/datasheet.croissant.json",
                            api_server.token("auditor"))
    assert served.status_code == 200 and served.content == path.read_bytes()
    original = path.read_bytes()
    try:
        path.write_bytes(original.replace(md5.encode(), b"0" * 32, 1))
        result = catalogue.verify(Settings.from_env(certified_project), "adult")
        assert not result["ok"] and any("datasheet.croissant.json was changed" in p for p in result["problems"])
    finally:
        path.write_bytes(original)
