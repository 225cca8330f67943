"""The page templates on their own (no server): what changed between versions, escaped, with
links under the mount's root path."""

from __future__ import annotations

from starlette.requests import Request

from datavet.airflow.ui.pages import render
from datavet.catalogue import DatasetEntry
from datavet.changes import Changes
from tests.datasheet.conftest import INJECTED


def test_dataset_page_shows_what_changed_escaped() -> None:
    request = Request({"type": "http", "method": "GET", "path": "/airflow/datavet/datasets/x", "headers": [],
                       "root_path": "/airflow/datavet", "query_string": b""})
    versions = [{"tag": f"x/certified/{n}", "md5": f"{n:032x}", "rows": 10 + n, "certified_at": "2026-01-0{n}",
                 "checks": 3, "passed": 3, "warnings": []} for n in (1, 2)]
    change = Changes(previous_tag="x/certified/1", previous_md5=f"{1:032x}", rows_before=11, rows_after=12,
                     rows_added=3, rows_removed=2, share_shift={"sex": {INJECTED: 0.0125, "b": -0.0125}},
                     answers_changed=["C1"])
    text = render(request, "dataset.html.j2", title="x", entry=DatasetEntry("x", "X", "spec", versions=versions),
                  changes={"x/certified/1": None, "x/certified/2": change.model_dump(mode="json")},
                  verified={"x/certified/1": {"ok": False, "problems": ["data in the DVC remote hashes to 0"],
                                              "checked": []},
                            "x/certified/2": {"ok": True, "problems": [], "checked": ["a", "b"], "unsigned": False,
                                              "signer": "datavet (SHA256:abc)"}},
                  airflow_run=None)
    assert "FAILED</span>: data in the DVC remote hashes to 0" in text
    assert "OK</span> (2 checks; signed by datavet (SHA256:abc))" in text
    assert "since x/certified/1: 3 rows added, 2 removed" in text and "+1.25 pp" in text and "-1.25 pp" in text
    assert INJECTED not in text and "&lt;script&gt;" in text
    assert 'href="/airflow/datavet/datasets/x/versions/2"' in text
    assert "first certified version" in text
