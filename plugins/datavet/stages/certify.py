"""Stage 4, certify: commit the data pointer, validation result, datasheet, certificate and signed
in-toto statement, push, then tag (SSH-signed). A failure or kill before the tag leaves the registry
as it was (datavet.registry.journal)."""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path

from datavet import __version__
from datavet.changes import metrics_of
from datavet.errors import ChecksFailed, DataError, StaleAttestation
from datavet.fsutil import atomic_copy, atomic_write_bytes, atomic_write_text, settled_digests, sha256_file
from datavet.registry import Registry, journal, statement
from datavet.registry.certificate import Certificate, CheckOutcome
from datavet.registry.identity import file_digests, tree_sha256
from datavet.registry.recertification import (
    answers_record,
    checked_reason,
    recertification,
    spec_record,
    stale_attestations,
)
from datavet.registry.signing import SigningKey, sign, signing_key, trust
from datavet.registry.store import certified_tag_for, signed_predicate
from datavet.report import CheckReport
from datavet.settings import Settings
from datavet.spec import LoadedSpec
from datavet.stages.common import (
    REPORT_FILE,
    VERSION_DOCUMENTS,
    dump,
    log,
    registry_for,
    staged_report,
    storage_errors,
    version_bytes,
    version_rules,
)


def certify(loaded: LoadedSpec, settings: Settings, md5: str, *, certified_by: str = "cli",
            reason: str | None = None) -> tuple[Certificate, bool]:
    """Commit data pointer, validation result, datasheet, certificate and signed statement, then tag.

    Returns (certificate, created). Re-running for a certified version changes nothing. A journal
    (datavet.registry.journal) is written before the first change to the workspace: a failure or a
    kill at any step is rolled back (now, or by the next run under the lock), so there is never a
    tag without a certificate nor a certificate without pushed data. The bytes certified are hashed
    here, in this run (md5 and sha256 together): a cache object damaged since the version stage is
    refused, not pushed.
    """
    spec = loaded.spec
    reason = checked_reason(reason, spec.name)
    registry = registry_for(settings)
    staging = registry.staging_dir(spec.name, md5)
    with registry.locked(spec.name), registry.locked(), storage_errors(spec.name, "certify"):
        registry.ensure()
        discarded = registry.discard_uncommitted()
        if discarded:
            log.warning("%s: discarded what an interrupted run left in the registry: %s", spec.name,
                        "; ".join(discarded))
        rules = version_rules(loaded, settings, md5)
        existing = certified_tag_for(registry, spec.name, md5, rules, loaded.path)
        if existing:
            cert = Certificate.model_validate_json(registry.show(existing, registry.certificate_path(spec.name, md5)))
            _heal_remote(registry, spec.name, md5)
            log.info("%s: version %s is already certified as %s; nothing to do", spec.name, md5, existing)
            from datavet.registry.current import not_current_note

            note = not_current_note(registry, spec.name, existing)
            if note:
                log.info("%s", note)  # the task log; the CLI prints it
            return cert, False
        report = staged_report(settings, spec.name, md5)
        if not report.success:
            raise ChecksFailed(spec.name, report.summary())
        sheet_files = [staging / "datasheet" / f for f in VERSION_DOCUMENTS]
        if not all(p.exists() for p in sheet_files):
            raise DataError(f"no datasheet was written for version {md5}", dataset=spec.name,
                            fix="run the datasheet stage first (the certify DAG does)")
        answers, before = bound_answers(loaded, registry)
        data = version_bytes(settings, md5, spec.name)
        sha256 = data_sha256(registry, spec.name, md5)
        key = signing_key(settings) if settings.signing else None
        _check_signer_claim(staging / "datasheet" / "datasheet.json", key, spec.name)
        try:
            cert = _commit_and_tag(loaded, registry, report, data, md5, certified_by, rules,
                                   Identity(sha256, key, reason, answers, before))
        except BaseException:
            _restore(registry, spec.name)
            raise
        shutil.rmtree(staging, ignore_errors=True)
    log.info("%s: certified version %s as %s%s", spec.name, md5, cert.tag,
             f" (signed by {cert.signer})" if cert.signer else " (UNSIGNED: DATAVET_SIGNING=0)")
    return cert, True


@dataclass(frozen=True)
class Identity:
    """What this run adds to the certificate beyond the staged files: the data's sha256, the key
    that signs, and the reason given."""

    sha256: str
    key: SigningKey | None
    reason: str | None
    answers: list[dict]  # each answer's id, sha256 and attestation
    previous: dict | None  # the signed predicate of the dataset's previous certification


def bound_answers(loaded: LoadedSpec, registry: Registry) -> tuple[list[dict], dict | None]:
    """Each answer's sha256 and attestation, and the previous certification's signed predicate;
    refuses (with the answer ids) an attestation that does not vouch for its answer's words."""
    previous = registry.certified_tags(loaded.spec.name)
    before = signed_predicate(registry, loaded.spec.name, previous[-1]) if previous else None
    answers = answers_record(loaded)
    stale = stale_attestations(answers, before)
    if stale:
        raise StaleAttestation(
            f"stale attestation of answer(s) {', '.join(s.split(':')[0] for s in stale)}: " + "; ".join(stale),
            dataset=loaded.spec.name,
            fix=f"have the answers re-attested in {loaded.answers_path}: set attested_on to the date of review "
                "(and attested_sha256 to the sha256 named above, to bind the attestation to those words)")
    return answers, before


def _check_signer_claim(sheet: Path, key: SigningKey | None, name: str) -> None:
    """The datasheet says which key signs its certification (or UNSIGNED): it must be this one."""
    import json

    claimed = json.loads(sheet.read_bytes()).get("signer")
    actual = key.fingerprint if key else "UNSIGNED"
    if claimed is not None and claimed != actual:
        raise DataError(f"the staged datasheet says its certification is signed by {claimed}, but this run signs "
                        f"with {actual}", dataset=name,
                        fix="re-run the datasheet stage with the same signing settings (DATAVET_SIGNING, "
                            "DATAVET_SIGNING_KEY) as certify")


def _heal_remote(registry: Registry, name: str, md5: str) -> None:
    """A certified single-file version whose local remote copy is missing or damaged gets it back from
    an intact cache copy (push re-hashes what it finds there); nothing is certified anew."""
    remote, cache = registry.remote_object(md5), registry.cache_path(md5)
    if remote is None or md5.endswith(".dir") or not cache.is_file():
        return
    if remote.is_file() and file_digests(remote)[0] == md5:
        return
    if file_digests(cache)[0] != md5:
        raise DataError(f"version {md5} is damaged in both the DVC cache ({cache}) and the remote ({remote})",
                        dataset=name, fix=f"delete {cache} and run `datavet certify` again: it re-reads the source")
    registry.push(name, md5)
    log.warning("%s: the DVC remote's copy of %s was missing or damaged: pushed again from the cache", name, md5)


def data_sha256(registry: Registry, name: str, md5: str) -> str:
    """The version's sha256 identity from its cached bytes, hashed in this run (here, or by an earlier
    stage of the same process while the file keeps its inode, size and times: fsutil.settled_digests);
    every object that no longer hashes to its md5 is named and certification refused (it would
    otherwise be pushed)."""
    if md5.endswith(".dir"):
        sha, problems = tree_sha256(registry.cache_dir, registry.tree_entries(md5), "DVC cache", settled_digests)
    else:
        actual, sha = settled_digests(registry.bytes_path(md5))
        problems = [] if actual == md5 else [f"{registry.bytes_path(md5)} hashes to {actual}, versioned as {md5}"]
    if problems:
        raise DataError(f"refusing to certify version {md5}: its bytes changed in the DVC cache after the version "
                        "stage hashed them: " + "; ".join(problems), dataset=name,
                        fix="delete the damaged cache object(s) named above and re-run the certify DAG (its "
                            "version stage reads them from the source again)")
    return sha


def _commit_and_tag(loaded: LoadedSpec, registry: Registry, report: CheckReport, data: Path, md5: str,
                    certified_by: str, rules: dict[str, str], identity: Identity) -> Certificate:
    """Point the .dvc file at the bytes, place the documents, write the certificate and the signed
    statement, push, commit, tag.

    The push comes after every local write (a full disk fails before the remote is touched) and
    the tag comes last. A pushed object whose commit then fails stays in the remote: it is
    content-addressed and unreferenced, and remotes can be shared, so it is never deleted."""
    spec = loaded.spec
    staging = registry.staging_dir(spec.name, md5)
    previous = registry.certified_tags(spec.name)
    sequence = len(previous) + 1
    tag = registry.tag_for(spec.name, sequence)
    journal.begin(registry, spec.name, md5, tag)  # before the first change to the workspace
    registry.retire_other_kind(spec.name, md5)  # a table that became a tree, or back
    size = registry.version_size(md5)
    if md5.endswith(".dir"):
        registry.add_tree(spec.name, md5, size)  # .dvc points at the cached tree (committed below)
    else:
        registry.add_version(spec.name, data, md5)  # .dvc points at md5 (workspace only until the commit)
    placed: dict[Path, Path] = {staging / REPORT_FILE: registry.validation_path(spec.name, md5)}
    for name in VERSION_DOCUMENTS:
        placed[staging / "datasheet" / name] = registry.datasheet_dir(spec.name) / name
    written: list[Path] = []
    for src, dst in placed.items():
        atomic_copy(src, dst)
        written.append(dst)
    metrics_path = registry.metrics_path(spec.name)
    atomic_write_text(metrics_path, dump(metrics_of(report, spec.small_cell_threshold)) + "\n")
    written.append(metrics_path)
    shared = registry.declare_metrics(spec.name)  # one dvc.yaml for all datasets: committed, not hashed
    answers, before = identity.answers, identity.previous
    changes = recertification(previous[-1] if previous else None, before, loaded, answers, identity.reason)
    cert = Certificate(
        dataset=spec.name, md5=md5, sha256=identity.sha256, size=size, rows=report.rows, tag=tag,
        sequence=sequence, certified_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        datavet_version=__version__, spec_sha256=sha256_file(loaded.path),
        missing_tokens=list(spec.missing_tokens),
        data_path=registry.data_path(spec.name, md5).relative_to(registry.root).as_posix(),
        dvc_file=registry.dvc_file(spec.name, md5).relative_to(registry.root).as_posix(),
        remote=registry.remote, suite_name=report.suite_name, suite_sha256=report.suite_hash,
        validation_result_id=report.validation_result_id, validation_success=report.success,
        files={dst.relative_to(registry.root).as_posix(): sha256_file(dst) for dst in written},
        checks=[CheckOutcome(check=c.check, subject=c.subject, severity=c.severity, success=c.success)
                for c in report.checks],
        certified_by=certified_by, rules=rules, signer=identity.key.fingerprint if identity.key else None,
        changes=changes,
    )
    cert_path = registry.certificate_path(spec.name, md5)
    cert_bytes = cert.to_json().encode()
    atomic_write_bytes(cert_path, cert_bytes)
    signed: list[Path] = []
    if identity.key is not None:
        body = statement.to_bytes(statement.build(cert, cert_path.relative_to(registry.root).as_posix(), cert_bytes,
                                                  answers, spec_record(loaded)))
        atomic_write_bytes(registry.statement_path(spec.name, md5), body)
        atomic_write_bytes(registry.signature_path(spec.name, md5), sign(identity.key, body))
        trust(registry.allowed_signers_path, identity.key)  # for clones; verify trusts only its own list
        signed = [registry.statement_path(spec.name, md5), registry.signature_path(spec.name, md5),
                  registry.allowed_signers_path]
    registry.push(spec.name, md5)  # raises unless the remote holds the version afterwards
    pointer = registry.dvc_file(spec.name, md5)
    paths = [str(p.relative_to(registry.root)) for p in [*written, cert_path, *signed, shared, pointer,
                                                          pointer.parent / ".gitignore"]]
    registry.commit_certification(paths, f"Certify {spec.name} version {md5} ({tag})", tag,
                                  f"{spec.name} version {md5} certified by datavet {__version__}", identity.key)
    journal.end(registry)
    return cert


def _restore(registry: Registry, name: str) -> None:
    """Undo an unfinished certification (tracked files, new files, untagged commit, data file); a
    failure to clean up is logged, never raised over the error that caused it."""
    try:
        registry.discard_uncommitted()
    except Exception as exc:  # the original error is the one to report: one line, no second traceback
        log.warning("%s: could not restore the registry after a failed certification (%s); the next certify "
                    "finishes or rolls it back", name, exc)


def certificate_summary(cert: Certificate, settings: Settings) -> str:
    """Where a certified version's pieces are, labelled for the person who asked."""
    registry = registry_for(settings)

    lines = [f"dataset      {cert.dataset}", f"version md5  {cert.md5} ({cert.rows} rows)", f"tag          {cert.tag}",
             f"data         {registry.root / cert.data_path} (remote: {cert.remote})"
             + (" - a tree of files, not checked out: datavet.open_certified gives them" if cert.md5.endswith(".dir")
                else ""),
             f"certificate  {registry.certificate_path(cert.dataset, cert.md5)}"]
    lines += [f"{registry.document_kind(rel):<12} {registry.root / rel}" for rel in sorted(cert.files)]
    return "\n".join(lines)


