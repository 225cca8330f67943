"""Re-check a certified version end to end and name everything that no longer matches.

Trust anchors: the SSH signatures of the in-toto statement and of the git tag, by a key in the
trusted allowed-signers file outside the registry (datavet.registry.provenance); the statement binds
the certificate, every document and the data's sha256 and md5. Working-tree copies of the documents
and the checked-out data file are compared against what was committed.

``remembered``: a long-lived process (the auditor pages list every version of every dataset on each
request) takes a data file's hashes from an earlier check of this process while the file keeps its
inode, size, mtime and ctime (``fsutil.settled_digests``, the rule of DVC's state database and git's
index): a rewrite changes the ctime, so it is hashed again. `datavet verify` and a version page's
"verify now" hash every byte.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from datavet.errors import RegistryError
from datavet.fsutil import settled_digests, sha256_bytes, sha256_file
from datavet.registry import dvctree, identity, journal, provenance
from datavet.registry.certificate import Certificate
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
    signer: str | None = None  # "<principal> (<fingerprint>)" of a trusted, valid signature
    unsigned: bool = False  # no statement and no tag signature: nothing outside the registry vouches for it
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def text(self) -> str:
        if not self.ok:
            head = f"FAILED: {self.dataset} {self.tag} (md5 {self.md5}):"
        else:
            head = (f"{'UNSIGNED' if self.unsigned else 'OK'}: {self.dataset} {self.tag} (md5 {self.md5}): data and "
                    f"documents match the certificate ({len(self.checked)} items verified); certified with "
                    f"{self.checks}")
        lines = [head, *(f"  - {p}" for p in self.problems)]
        if self.unsigned:
            lines.append("  ! UNSIGNED: no signed statement and no signed tag: anyone who can write to the registry "
                         "could have written this certification")
        elif self.signer:
            lines.append(f"  signed by {self.signer}")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


def verify_version(registry: Registry, name: str, version: str | int | None = None, *,
                   remembered: bool = False) -> Verification:
    tag = resolve_tag(registry, name, version)
    cert = committed_certificate(registry, name, tag)
    result = Verification(dataset=name, md5=cert.md5, tag=tag, checks=checks_tally(cert.checks))
    check = _Checker(result)

    check("tag names the certificate", cert.tag == tag, f"certificate says tag {cert.tag}, found at {tag}")
    check(".dvc pointer", registry.recorded_md5(name, rev=tag) == cert.md5,
          f"the .dvc file at {tag} does not record md5 {cert.md5}")
    provenance.check_signatures(registry, name, tag, cert, result, check)
    pending = journal.pending(registry)
    workspace = pending is None or journal.finished(registry, pending)
    if not workspace:
        result.notes.append(f"a certification ({(pending or {}).get('tag', 'unreadable journal')}) was interrupted "
                            f"or is in progress ({registry.journal_path}): the committed documents were verified, "
                            "the workspace copies were not; the next certify finishes or rolls it back")
    cert_path = registry.certificate_path(name, cert.md5)
    if workspace and resolve_tag(registry, name, cert.md5) == tag:  # else the working file is a later one's
        if cert_path.exists():
            check("certificate file", cert_path.read_bytes() == registry.show(tag, cert_path),
                  f"{cert_path} differs from the certificate committed at {tag}")
        else:
            check("certificate file", False, f"{cert_path} is missing (committed at {tag})")
        for path in (registry.statement_path(name, cert.md5), registry.signature_path(name, cert.md5)):
            if not result.unsigned:
                check(f"{path.name} file", path.is_file() and path.read_bytes() == registry.show(tag, path),
                      f"{path} differs from (or is missing beside) the one committed at {tag}")
    _check_data(registry, name, tag, cert, check, workspace, settled_digests if remembered else identity.file_digests)
    if remembered:
        result.notes.append("data hashes of files unchanged (inode, size, times) since this process hashed them were "
                            "reused; verify now hashes every byte")
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
        if latest and workspace:
            if not working.exists():
                check(f"{rel} present", False, f"{rel} is missing from the registry")
            else:
                actual = sha256_file(working)
                check(f"{rel} unchanged", actual == digest,
                      f"{rel} was changed after certification: it hashes to {actual}, certified as {digest}")
    return result


def _check_data(registry: Registry, name: str, tag: str, cert: Certificate, check: _Checker, workspace: bool,
                digests: identity.Digests) -> None:
    """The bytes in the DVC cache, the remote (by content) and, for the version checked out, the data
    file users open (``data/<name>/<name>.parquet``, what `datavet show` prints)."""
    for where, path in (("DVC cache", registry.cache_path(cert.md5)), ("DVC remote", registry.remote_object(cert.md5))):
        if path is None:
            continue
        if dvctree.is_tree(cert.md5):  # every file on its own: a flipped byte names its file
            store = registry.cache_dir if where == "DVC cache" else registry.remote_dir
            entries = dvctree.read_tree(store, cert.md5)  # type: ignore[arg-type]
            if where == "DVC remote" and cert.sha256 is not None and entries is not None:  # md5 and sha256
                sha, problems = identity.tree_sha256(store, entries, where, digests)  # type: ignore[arg-type]
                if not problems and sha != cert.sha256:
                    problems = [f"the tree in the {where} has sha256 identity {sha}, certified as {cert.sha256}"]
            else:
                problems = dvctree.tree_problems(store, cert.md5, where, missing_ok=where == "DVC cache",
                                                 md5_of=lambda p: digests(p)[0])
            check(f"data in {where}", not problems, "; ".join(problems))
            continue
        if path.is_file():
            md5, sha = digests(path)
            check(f"data in {where}", md5 == cert.md5 and cert.sha256 in (None, sha),
                  f"data in the {where} ({path}) hashes to md5 {md5} / sha256 {sha}, certified as md5 {cert.md5} / "
                  f"sha256 {cert.sha256}")
        elif where == "DVC remote":
            check(f"data in {where}", False, f"version {cert.md5} is missing from the {where} {registry.remote}")
    if dvctree.is_tree(cert.md5) or not workspace:
        return  # a tree is not checked out (datavet.open_certified gives its files)
    working = registry.data_path(name, cert.md5)
    if registry.recorded_md5(name) != cert.md5 or not working.is_file():
        return  # the workspace holds another version of the dataset (or none checked out)
    md5, sha = digests(working)
    check("data file", md5 == cert.md5 and (cert.sha256 is None or sha == cert.sha256),
          f"the data file {working} hashes to md5 {md5} / sha256 {sha}, certified as md5 {cert.md5} / "
          f"sha256 {cert.sha256}")


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
