"""Re-check a certified version end to end and name everything that no longer matches.

Trust anchors: the git tag (its commit holds the certificate and the ``.dvc`` pointer) and the
md5 of the bytes. Working-tree copies of the documents are compared against what was committed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from datavet.errors import RegistryError
from datavet.fsutil import file_md5, sha256_bytes, sha256_file
from datavet.registry import dvctree
from datavet.registry.repo import Registry
from datavet.registry.store import committed_certificate, resolve_tag
from datavet.report import checks_tally


@dataclass
class Verification:
    dataset: str
    md5: str
    tag: str
    checks: str = ""  # the version's check tally at certification, counted as `history` counts it
    checked: list[str] = field(default_factory=list)  # integrity comparisons (not "checks")
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def text(self) -> str:
        head = (f"OK: {self.dataset} {self.tag} (md5 {self.md5}): data and documents match the certificate "
                f"({len(self.checked)} items verified); certified with {self.checks}"
                if self.ok else f"FAILED: {self.dataset} {self.tag} (md5 {self.md5}):")
        return "\n".join([head, *(f"  - {p}" for p in self.problems)])


def verify_version(registry: Registry, name: str, version: str | int | None = None) -> Verification:
    tag = resolve_tag(registry, name, version)
    cert = committed_certificate(registry, name, tag)
    result = Verification(dataset=name, md5=cert.md5, tag=tag, checks=checks_tally(cert.checks))
    check = _Checker(result)

    check("tag names the certificate", cert.tag == tag, f"certificate says tag {cert.tag}, found at {tag}")
    check(".dvc pointer", registry.recorded_md5(name, rev=tag) == cert.md5,
          f"the .dvc file at {tag} does not record md5 {cert.md5}")
    cert_path = registry.certificate_path(name, cert.md5)
    if resolve_tag(registry, name, cert.md5) == tag:  # else the working file is a later certification's
        if cert_path.exists():
            check("certificate file", cert_path.read_bytes() == registry.show(tag, cert_path),
                  f"{cert_path} differs from the certificate committed at {tag}")
        else:
            check("certificate file", False, f"{cert_path} is missing (committed at {tag})")
    for where, path in (("DVC cache", registry.cache_path(cert.md5)), ("DVC remote", registry.remote_object(cert.md5))):
        if path is None:
            continue
        if dvctree.is_tree(cert.md5):  # every file on its own: a flipped byte names its file
            store = registry.cache_dir if where == "DVC cache" else registry.remote_dir
            problems = dvctree.tree_problems(store, cert.md5, where, missing_ok=where == "DVC cache")
            check(f"data in {where}", not problems, "; ".join(problems))
            continue
        if path.is_file():
            actual = file_md5(path)
            check(f"data in {where}", actual == cert.md5, f"data in the {where} ({path}) hashes to {actual}, "
                                                           f"certificate says {cert.md5}")
        elif where == "DVC remote":
            check(f"data in {where}", False, f"version {cert.md5} is missing from the {where} {registry.remote}")
    latest = registry.certified_tags(name)[-1] == tag
    for rel, digest in sorted(cert.files.items()):
        try:
            committed = registry.show(tag, registry.root / rel)
        except RegistryError:
            check(f"{rel} committed", False, f"{rel} is not in the commit of {tag}")
            continue
        check(f"{rel} as committed", sha256_bytes(committed) == digest,
              f"{rel} at {tag} hashes to {sha256_bytes(committed)}, certificate says {digest}")
        working = registry.root / rel
        if latest:
            if not working.exists():
                check(f"{rel} present", False, f"{rel} is missing from the registry")
            else:
                check(f"{rel} unchanged", sha256_file(working) == digest, f"{rel} was changed after certification")
    return result


def document_problems(registry: Registry, name: str, tag: str, document: Path) -> list[str]:
    """A document passed on its own must be byte-identical to one certified at ``tag``."""
    cert = committed_certificate(registry, name, tag)
    data = document.read_bytes()
    if data == registry.show(tag, registry.certificate_path(name, cert.md5)):
        return []
    if sha256_bytes(data) in cert.files.values():
        return []
    return [f"{document} is not byte-identical to any document certified at {tag} (changed after "
            f"certification, or describes other bytes)"]


def document_tag(registry: Registry, name: str, md5: str, document: Path) -> str:
    """The certification a document belongs to: bytes certified again under new rules have several,
    each with its own documents; the newest one holding ``document``, else the newest of the bytes."""
    newest = resolve_tag(registry, name, md5)
    for tag in reversed(registry.certified_tags(name)):
        if registry.recorded_md5(name, rev=tag) == md5 and not document_problems(registry, name, tag, document):
            return tag
    return newest


def stated_md5(document: Path) -> str | None:
    """The md5 a certificate, report or datasheet says it describes."""
    if document.suffix == ".json":
        try:
            data = json.loads(document.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            return None
        for key in ("md5", "data_hash", "data_md5", "identifier"):  # identifier: the Croissant document
            if isinstance(data, dict) and isinstance(data.get(key), str):
                return data[key]
    from datavet.datasheet import datasheet_md5_of

    return datasheet_md5_of(document)


class _Checker:
    def __init__(self, result: Verification) -> None:
        self.result = result

    def __call__(self, what: str, ok: bool, problem: str) -> None:
        self.result.checked.append(what)
        if not ok:
            self.result.problems.append(problem)
