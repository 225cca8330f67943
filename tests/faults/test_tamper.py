"""Tamper evidence: one changed byte anywhere in a certified version is found by ``verify_version`` and by
``datavet verify`` (exit 1, naming the file), whether in the data (DVC cache or remote), the
certificate, a datasheet or the stored validation result."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from datavet.registry import Registry
from datavet.registry.certificate import Certificate
from datavet.registry.verify import verify_version
from tests.faults.conftest import FaultProject

Locate = Callable[[Registry, str], Path]


def _certificate(project: FaultProject) -> Certificate:
    registry = project.registry
    md5 = registry.recorded_md5(project.name, rev="titanic/certified/1")
    assert md5 is not None
    return Certificate.from_path(registry.certificate_path(project.name, md5))


def flip_one_byte(path: Path) -> None:
    """Change exactly one byte: in text, the case of one letter (the file stays valid UTF-8/JSON, so
    only hashing can notice); in binary data, one byte in the middle."""
    data = bytearray(path.read_bytes())
    at = data.find(b"representation")
    if at < 0:
        at = len(data) // 2
        data[at] ^= 0xFF
    else:
        data[at] ^= 0x20
    path.chmod(0o644)
    path.write_bytes(bytes(data))


DOCUMENTS: dict[str, Locate] = {
    "certificate": lambda r, md5: r.certificate_path("titanic", md5),
    "datasheet-md": lambda r, md5: r.datasheet_dir("titanic") / "datasheet.md",
    "datasheet-html": lambda r, md5: r.datasheet_dir("titanic") / "datasheet.html",
    "datasheet-json": lambda r, md5: r.datasheet_dir("titanic") / "datasheet.json",
    "datasheet-croissant": lambda r, md5: r.datasheet_dir("titanic") / "datasheet.croissant.json",
    "validation-result": lambda r, md5: r.validation_path("titanic", md5),
    "metrics": lambda r, md5: r.metrics_path("titanic"),
    "statement": lambda r, md5: r.statement_path("titanic", md5),
    "statement-signature": lambda r, md5: r.signature_path("titanic", md5),
}
SIGNED = ("statement", "statement-signature")  # not in the certificate's files: the statement signs it
DATA: dict[str, Locate] = {
    "data-in-cache": lambda r, md5: r.cache_path(md5),
    "data-in-remote": lambda r, md5: r.remote_object(md5),  # type: ignore[return-value]
}


def test_the_untouched_copy_verifies(project: FaultProject) -> None:
    """The control: without tampering everything verifies, through the API and the CLI."""
    cert = _certificate(project)
    result = verify_version(project.registry, project.name)
    assert result.ok, result.text()
    assert {"data in DVC cache", "data in DVC remote", "certificate file"} <= set(result.checked)
    assert len(cert.files) == len(DOCUMENTS) - 1 - len(SIGNED)  # every document but the certificate is hashed
    # in it (and the statement and its signature, which bind the certificate)
    proc = project.cli("verify", str(project.spec_path))
    assert proc.returncode == 0 and proc.stdout.startswith("OK: titanic titanic/certified/1"), proc.stdout
    datasheet = project.registry.datasheet_dir(project.name) / "datasheet.html"
    assert project.cli("verify", str(datasheet)).returncode == 0


@pytest.mark.parametrize("target", [*DATA, *DOCUMENTS])
def test_one_changed_byte_is_named(project: FaultProject, target: str) -> None:
    registry = project.registry
    cert = _certificate(project)
    path = {**DATA, **DOCUMENTS}[target](registry, cert.md5)
    flip_one_byte(path)
    named = str(path) if target in (*DATA, "certificate", *SIGNED) else path.relative_to(registry.root).as_posix()

    result = verify_version(registry, project.name)
    assert not result.ok
    assert any(named in problem for problem in result.problems), result.text()

    proc = project.cli("verify", str(project.spec_path))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stdout.startswith("FAILED: titanic titanic/certified/1") and named in proc.stdout, proc.stdout
    if target in DOCUMENTS and target not in ("metrics", *SIGNED):  # one stating its md5 is refused on its own
        alone = project.cli("verify", str(path))
        assert alone.returncode == 1, alone.stdout + alone.stderr
        assert f"{path} is not byte-identical" in alone.stdout


@pytest.mark.parametrize("target", ["data-in-remote", "datasheet-md"])
def test_a_deleted_copy_is_named(project: FaultProject, target: str) -> None:
    registry = project.registry
    path = {**DATA, **DOCUMENTS}[target](registry, _certificate(project).md5)
    path.unlink()
    result = verify_version(registry, project.name)
    assert not result.ok
    expected = "is missing from the DVC remote" if target in DATA else "datasheet.md is missing from the registry"
    assert any(expected in problem for problem in result.problems), result.text()
