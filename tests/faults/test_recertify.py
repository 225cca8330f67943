"""Issue 12: a certification is for (bytes, spec, suite, answers). The same bytes under changed rules
are certified again with a new tag, and `history` says which rules changed; under the same rules
(even with a reworded comment) nothing happens; an old certificate without a fingerprint is judged
by its spec file's hash."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
import yaml

from datavet.pipeline import run_all
from datavet.registry.certificate import Certificate
from datavet.registry.store import committed_certificate
from tests.faults.conftest import FaultProject


def history(project: FaultProject) -> list[dict]:
    out = project.cli("history", str(project.spec_path), "--json")
    assert out.returncode == 0, out.stdout + out.stderr
    return json.loads(out.stdout)


def dataset_page(project: FaultProject) -> str:
    """The auditor's dataset page as the plugin renders it (catalogue + template, without a server)."""
    from starlette.requests import Request

    from datavet import catalogue
    from datavet.airflow.ui.pages import render

    entry = catalogue.dataset(project.settings, "titanic")
    changes = {v["tag"]: catalogue.version_detail(project.settings, "titanic", int(v["tag"].rsplit("/", 1)[1]))[
        "changes"] for v in entry.versions}
    request = Request({"type": "http", "root_path": ""})
    return render(request, "dataset.html.j2", title=entry.title, entry=entry, changes=changes, verified={},
                  airflow_run=None)


def test_same_rules_are_a_noop_even_with_a_new_comment(project: FaultProject) -> None:
    head = project.registry.git("rev-parse", "HEAD")
    project.spec_path.write_text("# a reworded comment\n" + project.spec_path.read_text(), encoding="utf-8")
    info, cert, created = run_all(project.loaded(), project.settings)
    assert not created and info.certified_tag == cert.tag == "titanic/certified/1"
    assert project.registry.git("rev-parse", "HEAD") == head


def test_changed_limits_certify_the_same_bytes_again(project: FaultProject) -> None:
    first = committed_certificate(project.registry, "titanic", "titanic/certified/1")
    assert first.rules is not None and set(first.rules) == {"spec", "suite", "answers"}
    spec = yaml.safe_load(project.spec_path.read_text())
    spec["checks"]["missingness"]["max_rate"] = 0.79  # a limit: the spec and the suite change
    project.write_spec(spec)
    info, cert, created = run_all(project.loaded(), project.settings)
    assert created and info.certified_tag is None
    assert cert.tag == "titanic/certified/2" and cert.md5 == first.md5
    assert cert.rules["answers"] == first.rules["answers"]
    assert cert.rules["spec"] != first.rules["spec"] and cert.rules["suite"] != first.rules["suite"]
    rows = history(project)
    assert [r["tag"] for r in rows] == ["titanic/certified/1", "titanic/certified/2"]
    assert rows[0]["reason"] is None and rows[1]["reason"] == "re-certified: spec, suite changed"
    table = project.cli("history", str(project.spec_path)).stdout
    assert "[re-certified: spec, suite changed]" in table
    # each tag keeps its own certificate; the md5 names the latest certification of the bytes
    assert committed_certificate(project.registry, "titanic", "titanic/certified/1").rules == first.rules
    again = run_all(project.loaded(), project.settings)
    assert not again[2] and again[1].tag == "titanic/certified/2"
    assert "re-certified: spec, suite changed (same bytes as an earlier tag)" in dataset_page(project)
    for version in ("1", "2", first.md5):  # both certifications verify; the md5 names the latest
        out = project.cli("verify", str(project.spec_path), "--version", version)
        assert out.returncode == 0, out.stdout + out.stderr
        assert ("titanic/certified/1" if version == "1" else "titanic/certified/2") in out.stdout


def test_changed_answers_alone_certify_again(project: FaultProject) -> None:
    answers = project.spec_path.parent / "answers.yaml"
    doc = yaml.safe_load(answers.read_text())
    first = next(iter(doc["answers"]))
    doc["answers"][first]["answer"] += " Reviewed again."
    doc["answers"][first]["attested_on"] = dt.date.today().isoformat()  # re-attested (else it is stale)
    answers.write_text(yaml.safe_dump(doc), encoding="utf-8")
    out = project.cli("certify", str(project.spec_path), "--reason", "clarified the collection answer")
    assert out.returncode == 0, out.stdout + out.stderr
    cert = committed_certificate(project.registry, "titanic", "titanic/certified/2")
    rows = history(project)
    assert rows[1]["reason"] == "re-certified: answers changed"
    assert rows[1]["answers_changed"] == [first] and rows[1]["spec_keys_changed"] == []
    assert rows[1]["why"] == "clarified the collection answer" == cert.changes.reason
    table = project.cli("history", str(project.spec_path)).stdout
    assert f"answers changed: {first}; reason: clarified the collection answer" in table
    # the certified datasheet says the same as its certificate: what changed in the rules, and why
    sheet_json = json.loads(project.registry.show("titanic/certified/2",
                                                  project.registry.datasheet_dir("titanic") / "datasheet.json"))
    assert sheet_json["recertification"] == cert.changes.model_dump(mode="json")
    card = (project.registry.datasheet_dir("titanic") / "datasheet.md").read_text(encoding="utf-8")
    assert (f"Against the rules of titanic/certified/1: spec keys changed: none; answers changed: {first}."
            in card.replace("\\", "")), card
    assert "**Reason given:** clarified the collection answer" in card
    # a copy of either certification's datasheet verifies against its own certification
    registry = project.registry
    sheet = registry.datasheet_dir("titanic") / "datasheet.json"
    for tag in ("titanic/certified/1", "titanic/certified/2"):
        copy = project.root / f"copy-{tag.rsplit('/', 1)[1]}.json"
        copy.write_bytes(registry.show(tag, sheet))
        out = project.cli("verify", str(copy))
        assert out.returncode == 0 and tag in out.stdout, out.stdout + out.stderr


def test_an_old_certificate_is_judged_by_its_spec_file(project: FaultProject) -> None:
    """Certificates from before fingerprints: same spec file -> no-op; another spec file -> certify again."""
    registry = project.registry
    md5 = registry.recorded_md5("titanic")
    path = registry.certificate_path("titanic", md5)
    old = Certificate.from_path(path).model_copy(update={"rules": None})
    path.write_text(old.to_json(), encoding="utf-8")
    registry.git("commit", "-qam", "a certificate as older datavet wrote it")
    registry.git("tag", "-f", "-a", "titanic/certified/1", "-m", "old")
    assert not run_all(project.loaded(), project.settings)[2]
    spec = yaml.safe_load(project.spec_path.read_text())
    spec["title"] += " (renamed)"
    project.write_spec(spec)
    _, cert, created = run_all(project.loaded(), project.settings)
    assert created and cert.tag == "titanic/certified/2"
    assert history(project)[1]["reason"] == "re-certified: spec changed"


def test_changed_limits_name_the_spec_keys(project: FaultProject) -> None:
    spec = yaml.safe_load(project.spec_path.read_text())
    spec["checks"]["missingness"]["max_rate"] = 0.79
    project.write_spec(spec)
    assert run_all(project.loaded(), project.settings)[2]
    row = history(project)[1]
    assert row["spec_keys_changed"] == ["checks.missingness.max_rate"] and row["answers_changed"] == []
    html = (project.registry.datasheet_dir("titanic") / "datasheet.html").read_text(encoding="utf-8")
    assert "spec keys changed: <code>checks.missingness.max_rate</code>;" in html


@pytest.mark.parametrize("reason", ["two\nlines", "x" * 2001, "bell\a"])
def test_a_reason_that_cannot_be_published_is_refused_before_any_work(project: FaultProject, reason: str) -> None:
    spec = yaml.safe_load(project.spec_path.read_text())
    spec["checks"]["missingness"]["max_rate"] = 0.79
    project.write_spec(spec)
    head = project.registry.git("rev-parse", "HEAD")
    out = project.cli("certify", str(project.spec_path), "--reason", reason)
    assert out.returncode == 2 and "Traceback" not in out.stderr, out.stdout + out.stderr
    assert "dataset 'titanic': the certification's reason" in out.stderr and "Fix: give one line" in out.stderr
    assert project.registry.git("rev-parse", "HEAD") == head
    assert project.registry.certified_tags("titanic") == ["titanic/certified/1"]


def test_a_hostile_reason_stays_text_in_every_datasheet(project: FaultProject) -> None:
    spec = yaml.safe_load(project.spec_path.read_text())
    spec["checks"]["missingness"]["max_rate"] = 0.79
    project.write_spec(spec)
    reason = "<script>alert(1)</script> | **bold** [link](http://x)"
    out = project.cli("certify", str(project.spec_path), "--reason", reason)
    assert out.returncode == 0, out.stdout + out.stderr
    folder = project.registry.datasheet_dir("titanic")
    html = (folder / "datasheet.html").read_text(encoding="utf-8")
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    from markdown_it import MarkdownIt

    rendered = MarkdownIt("gfm-like").render((folder / "datasheet.md").read_text(encoding="utf-8"))
    assert "<script>" not in rendered and "<strong>bold</strong>" not in rendered and ">link</a>" not in rendered
    assert json.loads((folder / "datasheet.json").read_text())["recertification"]["reason"] == reason


@pytest.mark.parametrize("how", ["old date", "other sha256"])
def test_a_stale_attestation_blocks_certification_naming_the_answer(project: FaultProject, how: str) -> None:
    """An answer changed after its attestation (still dated before the last certification, or bound to
    the sha256 of other words) is refused with its id; bound to its own words, it certifies."""
    from datavet.registry.recertification import answer_sha256

    answers = project.spec_path.parent / "answers.yaml"
    doc = yaml.safe_load(answers.read_text())
    pid = sorted(doc["answers"])[1]
    old_words = doc["answers"][pid]["answer"]
    doc["answers"][pid]["answer"] = old_words + " Since amended."
    if how == "other sha256":
        doc["answers"][pid]["attested_on"] = dt.date.today().isoformat()
        doc["answers"][pid]["attested_sha256"] = hashlib.sha256(
            json.dumps({"answer": old_words, "not_applicable": None}, sort_keys=True).encode()).hexdigest()
    answers.write_text(yaml.safe_dump(doc), encoding="utf-8")
    head = project.registry.git("rev-parse", "HEAD")
    out = project.cli("certify", str(project.spec_path))
    assert out.returncode == 2 and "Traceback" not in out.stderr, out.stdout + out.stderr
    assert f"stale attestation of answer(s) {pid}" in out.stderr and "titanic" in out.stderr, out.stderr
    assert project.registry.certified_tags("titanic") == ["titanic/certified/1"]
    assert project.registry.git("rev-parse", "HEAD") == head
    words = hashlib.sha256(json.dumps({"answer": old_words + " Since amended.", "not_applicable": None},
                                      sort_keys=True).encode()).hexdigest()
    assert words == answer_sha256(old_words + " Since amended.", None) and words in out.stderr
    doc["answers"][pid]["attested_sha256"] = words  # re-attested: bound to the new words
    answers.write_text(yaml.safe_dump(doc), encoding="utf-8")
    out = project.cli("certify", str(project.spec_path))
    assert out.returncode == 0, out.stdout + out.stderr
    assert history(project)[1]["answers_changed"] == [pid]
