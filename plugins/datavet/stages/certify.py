"""Stage 4, certify: commit the data pointer, validation result, datasheet and certificate, push,
then tag. A failure before the tag leaves the registry as it was."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from datavet import __version__
from datavet.changes import metrics_of
from datavet.errors import ChecksFailed, DataError
from datavet.fsutil import atomic_copy, atomic_write_text, sha256_file
from datavet.registry import Registry
from datavet.registry.certificate import Certificate, CheckOutcome
from datavet.registry.store import certified_tag_for
from datavet.report import CheckReport
from datavet.settings import Settings
from datavet.spec import LoadedSpec
from datavet.stages.common import (
    REPORT_FILE,
    datasheet_files,
    dump,
    log,
    registry_for,
    staged_report,
    storage_errors,
    version_bytes,
    version_rules,
)


def certify(loaded: LoadedSpec, settings: Settings, md5: str, *, certified_by: str = "cli"
            ) -> tuple[Certificate, bool]:
    """Commit data pointer, validation result, datasheet and certificate, then tag the commit.

    Returns (certificate, created). Re-running for a certified version changes nothing. Any failure
    before the tag restores the registry to HEAD, and what a killed run left is discarded by the
    next one (under the lock), so there is never a tag without a certificate nor a certificate
    without pushed data, and nothing needs cleaning up by hand.
    """
    spec = loaded.spec
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
            log.info("%s: version %s is already certified as %s; nothing to do", spec.name, md5, existing)
            from datavet.registry.current import not_current_note

            note = not_current_note(registry, spec.name, existing)
            if note:
                log.info("%s", note)  # the task log; the CLI prints it
            return cert, False
        report = staged_report(settings, spec.name, md5)
        if not report.success:
            raise ChecksFailed(spec.name, report.summary())
        sheet_files = [staging / "datasheet" / f for f in datasheet_files(md5)]
        if not all(p.exists() for p in sheet_files):
            raise DataError(f"no datasheet was written for version {md5}", dataset=spec.name,
                            fix="run the datasheet stage first (the certify DAG does)")
        data = version_bytes(settings, md5, spec.name)
        try:
            cert = _commit_and_tag(loaded, registry, report, data, md5, certified_by, rules)
        except BaseException:
            _restore(registry, spec.name)
            raise
        shutil.rmtree(staging, ignore_errors=True)
    log.info("%s: certified version %s as %s", spec.name, md5, cert.tag)
    return cert, True


def _commit_and_tag(loaded: LoadedSpec, registry: Registry, report: CheckReport, data: Path, md5: str,
                    certified_by: str, rules: dict[str, str]) -> Certificate:
    """Point the .dvc file at the bytes, place the documents, write the certificate, push, commit, tag.

    The push comes after every local write (a full disk fails before the remote is touched) and
    the tag comes last. A pushed object whose commit then fails stays in the remote: it is
    content-addressed and unreferenced, and remotes can be shared, so it is never deleted."""
    spec = loaded.spec
    staging = registry.staging_dir(spec.name, md5)
    registry.retire_other_kind(spec.name, md5)  # a table that became a tree, or back
    size = registry.version_size(md5)
    if md5.endswith(".dir"):
        registry.add_tree(spec.name, md5, size)  # .dvc points at the cached tree (committed below)
    else:
        registry.add_version(spec.name, data, md5)  # .dvc points at md5 (workspace only until the commit)
    sequence = len(registry.certified_tags(spec.name)) + 1
    tag = f"{spec.name}/certified/{sequence}"
    placed: dict[Path, Path] = {staging / REPORT_FILE: registry.validation_path(spec.name, md5)}
    for name in datasheet_files(md5):
        placed[staging / "datasheet" / name] = registry.datasheet_dir(spec.name) / name
    written: list[Path] = []
    for src, dst in placed.items():
        atomic_copy(src, dst)
        written.append(dst)
    metrics_path = registry.metrics_path(spec.name)
    atomic_write_text(metrics_path, dump(metrics_of(report, spec.small_cell_threshold)) + "\n")
    written.append(metrics_path)
    shared = registry.declare_metrics(spec.name)  # one dvc.yaml for all datasets: committed, not hashed
    cert = Certificate(
        dataset=spec.name, md5=md5, size=size, rows=report.rows, tag=tag,
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
        certified_by=certified_by, rules=rules,
    )
    cert_path = registry.certificate_path(spec.name, md5)
    atomic_write_text(cert_path, cert.to_json())
    registry.push(spec.name, md5)  # raises unless the remote holds the version afterwards
    pointer = registry.dvc_file(spec.name, md5)
    paths = [str(p.relative_to(registry.root)) for p in [*written, cert_path, shared, pointer,
                                                          pointer.parent / ".gitignore"]]
    registry.git("add", "--", *paths)
    registry.git("commit", "-q", "-m", f"Certify {spec.name} version {md5} ({tag})")
    registry.git("tag", "-a", tag, "-m", f"{spec.name} version {md5} certified by datavet {__version__}")
    return cert


def _restore(registry: Registry, name: str) -> None:
    """Undo an unfinished certification (tracked files, new files, untagged commit, data file); a
    failure to clean up is logged, never raised over the error that caused it."""
    try:
        registry.discard_uncommitted()
    except Exception:  # the original error is the one to report
        log.exception("%s: could not restore the registry after a failed certification", name)


def certificate_summary(cert: Certificate, settings: Settings) -> str:
    """Where a certified version's pieces are, labelled for the person who asked."""
    registry = registry_for(settings)

    def kind(rel: str) -> str:
        if rel.startswith("datasheets/"):
            return "datasheet"
        return "validation" if rel.startswith("validations/") else "metrics"

    lines = [f"dataset      {cert.dataset}", f"version md5  {cert.md5} ({cert.rows} rows)", f"tag          {cert.tag}",
             f"data         {registry.root / cert.data_path} (remote: {cert.remote})"
             + (" - a tree of files, not checked out: datavet.open_certified gives them" if cert.md5.endswith(".dir")
                else ""),
             f"certificate  {registry.certificate_path(cert.dataset, cert.md5)}"]
    lines += [f"{kind(rel):<12} {registry.root / rel}" for rel in sorted(cert.files)]
    return "\n".join(lines)


