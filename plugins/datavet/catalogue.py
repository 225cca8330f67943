"""What an auditor can see of a project, read-only: every dataset, its certified versions, one
version's certificate, checks and documents, straight from the registry's tagged commits.

Pure Python (no Airflow): the Airflow UI plugin and its JSON API render what this returns.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from datavet.errors import DatavetError, NotCertifiedError
from datavet.registry import Registry
from datavet.registry.history import certified_versions_of
from datavet.registry.runlog import last_run
from datavet.registry.verify import committed_certificate, verify_version
from datavet.report import CheckReport
from datavet.settings import Settings
from datavet.spec import NAME_PATTERN, discover_specs, load_spec
from datavet.yamltext import excerpt

# Documents a version page offers for download, by the name in the URL; each is read from the tag.
DOWNLOADS = {"datasheet.md": "text/markdown; charset=utf-8", "datasheet.json": "application/json",
             "datasheet.html": "text/html; charset=utf-8", "datasheet.croissant.json": "application/ld+json",
             "certificate.json": "application/json"}


@dataclass
class DatasetEntry:
    name: str
    title: str
    spec_path: str
    spec_error: str | None = None
    versions: list[dict[str, Any]] = field(default_factory=list)
    last_run: dict[str, Any] | None = None

    @property
    def latest(self) -> dict[str, Any] | None:
        return self.versions[-1] if self.versions else None

    @property
    def failing(self) -> str | None:
        """Why the dataset's last run did not certify (None when it did, or nothing was recorded)."""
        if self.spec_error:
            return self.spec_error
        if self.last_run and not self.last_run.get("ok"):
            return f"{self.last_run.get('stage')} failed: {blocking_first(str(self.last_run.get('message')))}"
        return None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "spec": self.spec_path, "spec_error": self.spec_error,
                "latest": self.latest, "versions": self.versions, "last_run": self.last_run,
                "failing": self.failing}


def blocking_first(message: str) -> str:
    """A failed run's summary with its blocking ([error]) lines before the warnings: the reason the
    version was not certified is what an auditor reads first."""
    lines = message.splitlines()
    if len(lines) < 2:
        return message
    head = [line for line in lines if not line.startswith("[")]
    errors = [line for line in lines if line.startswith("[error]")]
    rest = [line for line in lines if line.startswith("[") and not line.startswith("[error]")]
    return "\n".join([*head[:1], *errors, *rest, *head[1:]])


def _shown(path: Path, settings: Settings) -> str:
    """A spec's path as readers see it: relative to the project (never the server's layout)."""
    try:
        return path.relative_to(settings.project).as_posix()
    except ValueError:
        return path.name


def registry_of(settings: Settings) -> Registry:
    return Registry.of(settings)


def datasets(settings: Settings) -> list[DatasetEntry]:
    """Every dataset of the project (one per spec), with its certified versions oldest first."""
    registry = registry_of(settings)
    out = []
    for path in discover_specs(settings.project):
        try:
            spec = load_spec(path).spec
        except DatavetError as exc:
            out.append(DatasetEntry(name=path.parent.name, title=path.parent.name, spec_path=_shown(path, settings),
                                    spec_error=str(exc), last_run=last_run(settings, path.parent.name)))
            continue
        out.append(DatasetEntry(name=spec.name, title=spec.title, spec_path=_shown(path, settings),
                                versions=certified_versions_of(registry, spec.name),
                                last_run=last_run(settings, spec.name)))
    return out


def checked_name(name: str) -> str:
    """``name`` if it can be a dataset's name; else NotCertifiedError, before it reaches git (where
    ``*`` would be a pattern matching every tag) or a subprocess (a NUL byte)."""
    if not isinstance(name, str) or not re.fullmatch(NAME_PATTERN, name):
        raise NotCertifiedError(f"{excerpt(name)} is not a dataset of this project",
                                fix="pick one of the datasets listed on the index page")
    return name


def dataset(settings: Settings, name: str) -> DatasetEntry:
    checked_name(name)
    for entry in datasets(settings):
        if entry.name == name:
            return entry
    raise NotCertifiedError("is not a dataset of this project", dataset=name,
                            fix="pick one of the datasets listed on the index page")


def current_tag(settings: Settings, name: str) -> str | None:
    """The tag consumers get by default (``datavet promote``), which ``verify`` checks when asked for no version."""
    from datavet.registry.current import current_tag as current

    return current(registry_of(settings), checked_name(name))


def tag_of(name: str, sequence: int) -> str:
    return Registry.tag_for(name, sequence)


def _require_tag(registry: Registry, name: str, sequence: int) -> str:
    tag = tag_of(checked_name(name), sequence)
    if tag not in registry.certified_tags(name):
        raise NotCertifiedError(f"has no certified version {sequence}", dataset=name,
                                fix="pick one of the versions on the dataset page")
    return tag


def version_detail(settings: Settings, name: str, sequence: int) -> dict[str, Any]:
    """One certified version: its certificate, every check with its limits and outcome (from the
    committed, published report) and what changed since the previous certified version."""
    registry = registry_of(settings)
    tag = _require_tag(registry, name, sequence)
    cert = committed_certificate(registry, name, tag)
    report = CheckReport.model_validate_json(registry.show(tag, registry.validation_path(name, cert.md5)))
    sheet = json.loads(registry.show(tag, registry.datasheet_dir(name) / "datasheet.json"))
    checks = [{"check": c.check, "subject": c.subject, "severity": c.severity, "success": c.success,
               "limits": c.thresholds, "failures": c.failures, "notes": c.notes} for c in report.checks]
    return {"dataset": name, "tag": tag, "sequence": sequence, "certificate": cert.model_dump(mode="json"),
            "checks": checks, "changes": sheet.get("changes"), "engine": report.engine,
            "downloads": [f for f in DOWNLOADS if _has_document(registry, tag, name, cert.md5, f)]}


def _document_path(registry: Registry, name: str, md5: str, filename: str) -> Path:
    if filename not in DOWNLOADS:
        raise NotCertifiedError(f"has no document {filename!r}", dataset=name,
                                fix=f"ask for one of {', '.join(DOWNLOADS)}")
    if filename == "certificate.json":
        return registry.certificate_path(name, md5)
    return registry.datasheet_dir(name) / filename


def _has_document(registry: Registry, tag: str, name: str, md5: str, filename: str) -> bool:
    path = _document_path(registry, name, md5, filename)
    return registry.run("git", "cat-file", "-e", f"{tag}:{path.relative_to(registry.root).as_posix()}",
                        check=False).returncode == 0


def document(settings: Settings, name: str, sequence: int, filename: str) -> bytes:
    """A document exactly as committed with the version's tag (never the working copy)."""
    registry = registry_of(settings)
    tag = _require_tag(registry, name, sequence)
    md5 = committed_certificate(registry, name, tag).md5
    return registry.show(tag, _document_path(registry, name, md5, filename))


def verify_versions(settings: Settings, name: str, *, remembered: bool = False) -> list[dict[str, Any]]:
    """``verify`` of every certified version, oldest first; a version that cannot be verified at all
    (its certificate unreadable) is a failed verification naming why. ``remembered``: see ``verify``."""
    out = []
    for tag in registry_of(settings).certified_tags(name):
        sequence = Registry.sequence_of(tag)
        try:
            out.append(verify(settings, name, sequence, remembered=remembered))
        except DatavetError as exc:
            out.append({"dataset": name, "tag": tag, "md5": None, "ok": False, "checked": [], "problems": [str(exc)]})
    return out


def verify(settings: Settings, name: str, sequence: int | None = None, *, remembered: bool = False) -> dict[str, Any]:
    """Run ``datavet verify`` on a version (the latest if None): what was checked, what differs.
    ``remembered``: reuse this process's hashes of data files unchanged since (the lists of the
    auditor pages; datavet.registry.verify)."""
    result = verify_version(registry_of(settings), checked_name(name), sequence, remembered=remembered)
    return {"dataset": result.dataset, "tag": result.tag, "md5": result.md5, "ok": result.ok,
            "checked": result.checked, "problems": result.problems, "unsigned": result.unsigned,
            "signer": result.signer, "notes": result.notes}
