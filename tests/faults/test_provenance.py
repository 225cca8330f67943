"""Issue 20: signed provenance. Each certification writes an in-toto statement signed with SSH
(ssh-keygen) and an SSH-signed git tag; verify trusts only the allowed signers outside the registry.

Checked with the real tools: the statement's signature with ``ssh-keygen -Y verify``, the tag's
with ``git verify-tag``, the data's sha256 with hashlib on the bytes. The attacks have write access
to the registry but not the key: edit a document and fix its hash in the certificate, then commit
and move the tag (``git tag -f``); or also forge the statement and the tag with their own key, listed
in the registry's own allowed_signers file."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from datavet.registry.certificate import Certificate
from datavet.registry.statement import PREDICATE_TYPE, STATEMENT_TYPE
from datavet.registry.verify import verify_version
from tests.faults.conftest import FaultProject, write_titanic

TAG = "titanic/certified/1"


def sh(*args: str, cwd: Path | None = None, data: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(list(args), cwd=cwd, input=data, capture_output=True)


def fingerprint(pub: Path) -> str:
    return sh("ssh-keygen", "-l", "-f", str(pub)).stdout.decode().split()[1]


def certificate(project: FaultProject) -> Certificate:
    registry = project.registry
    md5 = registry.recorded_md5("titanic", rev=TAG)
    return Certificate.from_path(registry.certificate_path("titanic", md5))


def version_page(project: FaultProject, sequence: int) -> str:
    """The auditor's version page, verified, as the plugin renders it (catalogue + template, no server)."""
    from starlette.requests import Request

    from datavet import catalogue
    from datavet.airflow.ui.pages import render

    detail = catalogue.version_detail(project.settings, "titanic", sequence)
    result = catalogue.verify(project.settings, "titanic", sequence)
    request = Request({"type": "http", "root_path": ""})
    return render(request, "version.html.j2", title=detail["tag"], d=detail, verification=result,
                  cert_json=json.dumps(detail["certificate"]))


def test_statement_and_tag_are_signed_by_the_project_key(project: FaultProject) -> None:
    registry, cert = project.registry, certificate(project)
    home = project.root / ".datavet"
    key = home / "keys" / "datavet_ed25519"
    assert key.is_file() and key.stat().st_mode & 0o077 == 0  # created on first use, private
    assert cert.signer == fingerprint(key.with_suffix(".pub"))
    data = registry.data_path("titanic")
    assert cert.sha256 == hashlib.sha256(data.read_bytes()).hexdigest()
    statement_path = registry.statement_path("titanic", cert.md5)
    body = json.loads(statement_path.read_bytes())
    assert body["_type"] == STATEMENT_TYPE and body["predicateType"] == PREDICATE_TYPE
    assert body["subject"][0]["digest"] == {"sha256": cert.sha256, "md5": hashlib.md5(data.read_bytes()).hexdigest()}
    documents = body["predicate"]["documents"]
    for rel in [*cert.files, registry.certificate_path("titanic", cert.md5).relative_to(registry.root).as_posix()]:
        assert documents[rel]["sha256"] == hashlib.sha256((registry.root / rel).read_bytes()).hexdigest(), rel
    assert {a["id"] for a in body["predicate"]["answers"]} and all(len(a["sha256"]) == 64
                                                                    for a in body["predicate"]["answers"])
    # independent checks with OpenSSH and git, against the trusted list outside the registry
    trusted = home / "allowed_signers"
    assert not trusted.is_relative_to(registry.root)
    ok = sh("ssh-keygen", "-Y", "verify", "-f", str(trusted), "-I", "datavet", "-n", "datavet-statement",
            "-s", str(statement_path) + ".sig", data=statement_path.read_bytes())
    assert ok.returncode == 0, ok.stderr
    tag = sh("git", "-c", f"gpg.ssh.allowedSignersFile={trusted}", "verify-tag", TAG, cwd=registry.root)
    assert tag.returncode == 0 and cert.signer in tag.stderr.decode(), tag.stderr
    commit = sh("git", "-c", f"gpg.ssh.allowedSignersFile={trusted}", "verify-commit", f"{TAG}^{{commit}}",
                cwd=registry.root)
    assert commit.returncode == 0, commit.stderr
    result = verify_version(registry, "titanic")
    assert result.ok and not result.unsigned and result.signer == f"datavet ({cert.signer})", result.text()
    assert {"statement signature", "tag signature", "statement matches the certificate", "data file"} <= set(
        result.checked)
    out = project.cli("verify", str(project.spec_path))
    assert out.returncode == 0 and f"signed by datavet ({cert.signer})" in out.stdout, out.stdout + out.stderr
    assert "PRIVATE KEY" not in out.stdout + out.stderr
    page = version_page(project, 1)
    assert f"signed by <span class=\"mono\">datavet ({cert.signer})</span>" in page and "UNSIGNED" not in page
    sheets = registry.datasheet_dir("titanic")
    assert f"| Certification | signed with SSH key `{cert.signer}`" in (sheets / "datasheet.md").read_text()
    assert json.loads((sheets / "datasheet.json").read_text())["signer"] == cert.signer


def _forge_datasheet(project: FaultProject) -> tuple[Path, str, str]:
    """Change one byte of datasheet.html and put its new sha256 in the certificate (the attacker's edit)."""
    registry, cert = project.registry, certificate(project)
    sheet = registry.datasheet_dir("titanic") / "datasheet.html"
    data = bytearray(sheet.read_bytes())
    at = data.find(b"Titanic")
    data[at] ^= 0x20
    sheet.write_bytes(bytes(data))
    rel = sheet.relative_to(registry.root).as_posix()
    old, new = cert.files[rel], hashlib.sha256(bytes(data)).hexdigest()
    forged = cert.model_copy(update={"files": {**cert.files, rel: new}})
    registry.certificate_path("titanic", cert.md5).write_text(forged.to_json())
    return sheet, old, new


def test_the_forgery_in_the_issue_fails_verify(project: FaultProject) -> None:
    registry = project.registry
    sheet, old, new = _forge_datasheet(project)
    registry.git("commit", "-qam", "fix a typo")
    registry.git("tag", "-f", "-a", TAG, "-m", "moved")
    result = verify_version(registry, "titanic")
    assert not result.ok, result.text()
    text = result.text()
    assert f"tag {TAG} is not signed" in text
    assert f"the certificate's sha256 of datasheets/titanic/datasheet.html ({new}) is not the signed statement's " \
           f"({old})" in text
    assert "hashes to" in text and "the signed statement says" in text  # the certificate itself was changed
    out = project.cli("verify", str(project.spec_path))
    assert out.returncode == 1 and out.stdout.startswith(f"FAILED: titanic {TAG}"), out.stdout + out.stderr
    # a lightweight tag (git tag -f without -a) is as unsigned
    registry.git("tag", "-f", TAG, "HEAD")
    assert f"tag {TAG} is not signed" in verify_version(registry, "titanic").text()


def test_a_statement_and_tag_signed_by_an_unknown_key_fail(project: FaultProject, tmp_path: Path) -> None:
    """The attacker re-signs everything with their own key and lists it in the registry's allowed_signers."""
    registry, cert = project.registry, certificate(project)
    evil = tmp_path / "evil"
    assert sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "evil", "-f", str(evil)).returncode == 0
    evil_fp = fingerprint(evil.with_suffix(".pub"))
    sheet, _, new = _forge_datasheet(project)
    forged_cert = Certificate.from_path(registry.certificate_path("titanic", cert.md5)).model_copy(
        update={"signer": evil_fp})
    cert_path = registry.certificate_path("titanic", cert.md5)
    cert_path.write_text(forged_cert.to_json())
    statement_path = registry.statement_path("titanic", cert.md5)
    body = json.loads(statement_path.read_bytes())
    body["predicate"]["documents"][sheet.relative_to(registry.root).as_posix()]["sha256"] = new
    body["predicate"]["documents"][cert_path.relative_to(registry.root).as_posix()]["sha256"] = \
        hashlib.sha256(cert_path.read_bytes()).hexdigest()
    statement_path.write_text(json.dumps(body, indent=2, sort_keys=True) + "\n")
    statement_path.with_name(statement_path.name + ".sig").unlink()
    signed = sh("ssh-keygen", "-Y", "sign", "-f", str(evil), "-n", "datavet-statement", str(statement_path))
    assert signed.returncode == 0, signed.stderr
    with registry.allowed_signers_path.open("a") as fh:
        fh.write("datavet " + " ".join(evil.with_suffix(".pub").read_text().split()[:2]) + "\n")
    signing = ["-c", "gpg.format=ssh", "-c", f"user.signingkey={evil}"]
    registry.git(*signing, "commit", "-qa", "-S", "-m", "fix a typo")
    registry.git(*signing, "tag", "-f", "-s", TAG, "-m", "moved")
    liar = tmp_path / "liar.sh"  # the registry's git config is theirs too: a "verifier" that always agrees
    liar.write_text(f'#!/bin/sh\necho \'Good "git" signature for datavet with ED25519 key {cert.signer}\'\nexit 0\n')
    liar.chmod(0o755)
    registry.git("config", "gpg.ssh.program", str(liar))
    registry.git("config", "gpg.ssh.allowedSignersFile", str(registry.allowed_signers_path))
    result = verify_version(registry, "titanic")
    text = result.text()
    assert not result.ok, text
    assert f"signed by an unknown key {evil_fp}: not in the trusted allowed signers" in text
    assert f"tag {TAG}: signed by an unknown key {evil_fp}" in text
    assert "the registry's own allowed_signers lists it" in text
    out = project.cli("verify", str(project.spec_path))
    assert out.returncode == 1 and evil_fp in out.stdout, out.stdout + out.stderr


def test_a_rewritten_data_file_fails_naming_both_hashes(project: FaultProject) -> None:
    registry, cert = project.registry, certificate(project)
    data = registry.data_path("titanic")
    assert str(data) in project.cli("show", str(project.spec_path)).stdout  # the file users are pointed at
    content = bytearray(data.read_bytes())
    content[len(content) // 2] ^= 0xFF
    data.write_bytes(bytes(content))
    md5, sha = hashlib.md5(content).hexdigest(), hashlib.sha256(content).hexdigest()
    result = verify_version(registry, "titanic")
    assert not result.ok
    assert any(str(data) in p and md5 in p and sha in p and cert.md5 in p and cert.sha256 in p
               for p in result.problems), result.text()
    assert project.cli("verify", str(project.spec_path)).returncode == 1


def test_an_unsigned_certification_is_shown_as_such(project: FaultProject) -> None:
    write_titanic(project.source)
    env = {"DATAVET_SIGNING": "0"}
    out = project.cli("certify", str(project.spec_path), **env)
    assert out.returncode == 0, out.stdout + out.stderr
    cert = Certificate.model_validate_json(project.registry.show(
        "titanic/certified/2", project.registry.certificate_path("titanic", project.registry.recorded_md5("titanic"))))
    assert cert.signer is None
    result = verify_version(project.registry, "titanic")
    assert result.ok and result.unsigned, result.text()
    out = project.cli("verify", str(project.spec_path))
    assert out.returncode == 1 and out.stdout.startswith("UNSIGNED: titanic titanic/certified/2"), out.stdout
    assert "! UNSIGNED" in out.stdout
    assert project.cli("verify", str(project.spec_path), "--allow-unsigned").returncode == 0
    assert project.cli("verify", str(project.spec_path), "--version", "1").returncode == 0  # still signed
    sheets = project.registry.datasheet_dir("titanic")
    assert "| Certification | **UNSIGNED**: no signature vouches for it |" in (sheets / "datasheet.md").read_text()
    assert '<strong class="unsigned">UNSIGNED</strong>' in (sheets / "datasheet.html").read_text()
    page = version_page(project, 2)
    assert '<span class="bad" id="unsigned">UNSIGNED</span>' in page and '<span class="bad">UNSIGNED</span>' in page
    assert "UNSIGNED" in project.cli("history", str(project.spec_path)).stdout.splitlines()[-1]


@pytest.mark.parametrize("where", ["settings", "connection"])
def test_the_key_from_settings_or_an_airflow_connection(project: FaultProject, tmp_path: Path, where: str) -> None:
    key = tmp_path / "ops_key"
    assert sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "ops", "-f", str(key)).returncode == 0
    write_titanic(project.source)
    if where == "settings":
        env = {"DATAVET_SIGNING_KEY": str(key)}
    else:
        conn = {"conn_type": "generic", "extra": {"private_key": key.read_text()}}
        env = {"DATAVET_SIGNING_CONNECTION": "datavet_signing", "AIRFLOW_CONN_DATAVET_SIGNING": json.dumps(conn)}
    out = project.cli("certify", str(project.spec_path), **env)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "PRIVATE KEY" not in out.stdout + out.stderr
    md5 = project.registry.recorded_md5("titanic")
    cert = Certificate.from_path(project.registry.certificate_path("titanic", md5))
    assert cert.signer == fingerprint(key.with_suffix(".pub"))
    assert verify_version(project.registry, "titanic").ok  # the key it signed with is trusted by this home
    assert verify_version(project.registry, "titanic", 1).ok  # and the project key still is


def test_a_datasheet_staged_for_another_signer_is_refused(project: FaultProject) -> None:
    """The datasheet names the key that signs its certification: a certify run with other signing
    settings refuses it rather than publish a claim that is not its own."""
    from datavet.errors import DataError
    from datavet.pipeline import certify, document, validate, version

    write_titanic(project.source)
    loaded, settings = project.loaded(), project.settings
    info = version(loaded, settings)
    validate(loaded, settings, info.md5)
    document(loaded, settings, info.md5)
    with pytest.raises(DataError, match="re-run the datasheet stage"):
        certify(loaded, settings.model_copy(update={"signing": False}), info.md5)
    assert project.registry.certified_tags("titanic") == [TAG]


def test_an_edited_statement_no_longer_matches_its_signature(project: FaultProject) -> None:
    """The attacker also edits the signed statement to agree with the forged certificate."""
    registry, cert = project.registry, certificate(project)
    sheet, old, new = _forge_datasheet(project)
    statement_path = registry.statement_path("titanic", cert.md5)
    text = statement_path.read_text().replace(old, new)
    cert_rel = registry.certificate_path("titanic", cert.md5).relative_to(registry.root).as_posix()
    body = json.loads(text)
    body["predicate"]["documents"][cert_rel]["sha256"] = hashlib.sha256(
        registry.certificate_path("titanic", cert.md5).read_bytes()).hexdigest()
    statement_path.write_text(json.dumps(body, indent=2, sort_keys=True) + "\n")
    registry.git("commit", "-qam", "fix a typo")
    registry.git("tag", "-f", "-a", TAG, "-m", "moved")
    text = verify_version(registry, "titanic").text()
    assert "the signature does not match the statement's bytes" in text and f"tag {TAG} is not signed" in text, text
