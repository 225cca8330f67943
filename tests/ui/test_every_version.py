"""The auditor pages' verify state for every certified version (not only the latest), and a failed
run's blocking error before its warnings, on real Titanic data in a real git + DVC registry."""

from __future__ import annotations

from starlette.requests import Request

from datavet import catalogue
from datavet.airflow.ui.pages import render
from tests.faults import conftest as faults
from tests.faults.conftest import FaultProject, base_spec, write_titanic
from tests.ui.cdp import CHROMIUM, Page

certified_base = faults.certified_base  # the fault tests' certified Titanic project, copied per test
project = faults.project


def _request(path: str) -> Request:
    return Request({"type": "http", "method": "GET", "path": f"/airflow/datavet{path}", "headers": [],
                    "root_path": "/airflow/datavet", "query_string": b""})


def test_an_altered_older_version_shows_on_both_pages(project: FaultProject) -> None:
    write_titanic(project.source)  # v2: all 891 passengers
    assert project.cli("certify", str(project.spec_path)).returncode == 0
    registry = project.registry
    old_md5 = registry.recorded_md5("titanic", rev="titanic/certified/1")
    remote = registry.remote_object(old_md5)
    remote.chmod(0o644)
    remote.write_bytes(remote.read_bytes()[:-1] + b"\0")  # one byte of v1 in the remote changed
    settings = project.settings
    found = catalogue.verify_versions(settings, "titanic")
    assert [(v["tag"], v["ok"]) for v in found] == [("titanic/certified/1", False), ("titanic/certified/2", True)]
    assert any("DVC remote" in p for p in found[0]["problems"])
    assert catalogue.verify(settings, "titanic")["ok"]  # the latest alone would say OK

    entry = catalogue.dataset(settings, "titanic")
    page = render(_request("/datasets/titanic"), "dataset.html.j2", title="t", entry=entry,
                  changes=dict.fromkeys(v["tag"] for v in entry.versions), airflow_run=None,
                  verified={v["tag"]: v for v in found})
    rows = page.split("<tr>")[2:]  # newest first
    assert "titanic/certified/2" in rows[0] and 'class="ok">OK</span>' in rows[0]
    assert 'class="ok">current</span>' in rows[0] and "current</span>" not in rows[1]
    assert "titanic/certified/1" in rows[1] and 'class="bad">FAILED</span>' in rows[1]
    row = {**entry.to_json(), "airflow_run": None, "verify": catalogue.verify(settings, "titanic"),
           "verify_versions": found}
    index = render(_request("/"), "index.html.j2", title="Datasets", rows=[row])
    assert "FAILED</span> titanic/certified/1" in index and "OK</span>: the other 1" in index
    if CHROMIUM.exists():  # the list with a verify failure (a long remote path) fits a 1,400 px window
        html = project.root / "index.html"
        html.write_text(index, encoding="utf-8")
        page = Page(project.root / "chromium")
        try:
            page.open(html.as_uri(), cookie=None, width=1400)
            widths = page.evaluate("[document.documentElement.scrollWidth, "
                                   "document.querySelector('#datasets').scrollWidth, "
                                   "document.querySelector('main').clientWidth]")
        finally:
            page.close()
        assert widths[0] <= 1400 and widths[1] <= widths[2], widths


def test_a_failed_runs_blocking_error_comes_first(project: FaultProject) -> None:
    spec = base_spec()
    spec["checks"]["representation"][0].update(max_tvd=0.01, severity="warning")  # Sex is about 65/35
    spec["checks"]["label_balance"][0]["severity"] = "error"  # disparate impact about 0.26 < 0.8
    project.write_spec(spec)
    write_titanic(project.source)
    proc = project.cli("certify", str(project.spec_path))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    raw = catalogue.dataset(project.settings, "titanic").last_run["message"]
    lines = raw.splitlines()
    first_error = next(i for i, line in enumerate(lines) if line.startswith("[error]"))
    assert any(line.startswith("[warning]") for line in lines[:first_error]), raw  # buried in the summary
    failing = catalogue.dataset(project.settings, "titanic").failing
    shown = failing.splitlines()
    assert shown[1].startswith("[error] label_balance on Survived by Sex"), failing
    assert sorted(shown[1:]) == sorted(lines[1:])  # the same lines, reordered


def test_the_lists_hash_an_unchanged_data_file_once(project: FaultProject, monkeypatch) -> None:
    """The auditor lists verify every version on each request: a data file unchanged since this process
    hashed it (inode, size, times) is not read again, and a byte changed since is still found."""
    from datavet import fsutil

    write_titanic(project.source)  # v2
    assert project.cli("certify", str(project.spec_path)).returncode == 0
    hashed: list[str] = []
    real = fsutil.file_digests
    monkeypatch.setattr(fsutil, "file_digests", lambda path: hashed.append(str(path)) or real(path))
    first = catalogue.verify_versions(project.settings, "titanic", remembered=True)
    assert [v["ok"] for v in first] == [True, True] and len(hashed) >= 4  # cache and remote of both versions
    seen = len(hashed)
    again = catalogue.verify_versions(project.settings, "titanic", remembered=True)
    assert len(hashed) == seen and [v["ok"] for v in again] == [True, True]
    remote = project.registry.remote_object(project.registry.recorded_md5("titanic", rev="titanic/certified/1"))
    remote.chmod(0o644)
    remote.write_bytes(remote.read_bytes()[:-1] + b"\0")  # rewritten in place: its ctime moves
    found = catalogue.verify_versions(project.settings, "titanic", remembered=True)
    assert [v["ok"] for v in found] == [False, True] and any("DVC remote" in p for p in found[0]["problems"])
    assert len(hashed) == seen + 1  # that file alone
