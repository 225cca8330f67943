"""The certify pipeline as plain functions: version -> validate -> document -> certify.

Each stage takes the spec and the version's md5 (small, JSON-able: what Airflow passes between
tasks), reads what earlier stages left in the version's staging folder, and is safe to re-run.
The Airflow operators, the CLI and ``dvc.yaml`` all call these.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from datavet import __version__
from datavet.certificate import Certificate, CheckOutcome
from datavet.changes import Changes, answers_of, compute_changes, metrics_of
from datavet.errors import ChecksFailed, DataError, RegistryError
from datavet.fsutil import atomic_copy, atomic_write_text, sha256_file
from datavet.ingest import check_role_columns, file_md5, read_source, write_parquet
from datavet.registry import Registry
from datavet.report import CheckReport
from datavet.settings import Settings
from datavet.sources.base import TABLE_FILE
from datavet.spec import LoadedSpec

log = logging.getLogger(__name__)
REPORT_FILE = "report.json"  # the published form (small cells suppressed): what the registry stores
EXACT_REPORT_FILE = "report.exact.json"  # exact counts, for the datasheet stage only: never committed
DATASHEET_FILES = ("datasheet.md", "datasheet.html", "datasheet.json")


@dataclass(frozen=True)
class VersionInfo:
    dataset: str
    md5: str
    rows: int
    certified_tag: str | None  # set when this exact version is already certified: nothing to do


def registry_for(settings: Settings) -> Registry:
    return Registry(root=settings.registry, remote=settings.remote)


def certified_tag_for(registry: Registry, name: str, md5: str) -> str | None:
    """The tag that certified exactly these bytes, if any (certificates are committed with the tag)."""
    for tag in reversed(registry.certified_tags(name)):
        if registry.recorded_md5(name, rev=tag) == md5:
            return tag
    return None


@contextlib.contextmanager
def storage_errors(dataset: str, stage: str) -> Iterator[None]:
    """A full disk or a read-only file system is the environment's fault, not the data's: say which
    file and what to do, as a retryable RegistryError rather than a bare OSError traceback."""
    try:
        yield
    except OSError as exc:
        where = f" on {exc.filename}" if exc.filename else ""
        raise RegistryError(f"the {stage} stage failed{where}: {exc.strerror or exc}", dataset=dataset,
                            fix="free disk space or make that location writable, then re-run (the stage is "
                                "safe to retry; nothing was certified)") from exc
    except RegistryError as exc:  # git/DVC failures know the registry, not the dataset
        if exc.dataset:
            raise
        raise RegistryError(exc.message, dataset=dataset, fix=exc.fix) from exc


@contextlib.contextmanager
def version_stage(settings: Settings, name: str, md5: str, stage: str) -> Iterator[str | None]:
    """Run a stage under the dataset's lock; yields the tag if the version is already certified.

    The lock keeps two runs of one DAG from writing into, or deleting, the same staging folder; a
    version certified meanwhile (by a concurrent run or an earlier attempt) needs no more work."""
    registry = registry_for(settings)
    with registry.locked(name), storage_errors(name, stage):
        tag = certified_tag_for(registry, name, md5)
        if tag:
            log.info("%s: version %s is already certified as %s; %s has nothing to do", name, md5, tag, stage)
        yield tag


# ---- stage 1 ---------------------------------------------------------------------------------------
def version(loaded: LoadedSpec, settings: Settings) -> VersionInfo:
    """Read the source, write it as Parquet and put it in the DVC cache: DVC's md5 is the version id.

    Tracked files stay as they are: only a certification moves the ``.dvc`` pointer."""
    spec = loaded.spec
    if spec.source.kind == "files":
        from datavet.tree_version import version_tree

        return VersionInfo(*version_tree(loaded, settings))
    registry = registry_for(settings)
    df = read_source(loaded)
    rows = len(df)
    if rows == 0:
        raise DataError(f"{loaded.source_path} has no rows (only a header); an empty version is never certified",
                        dataset=spec.name, fix="check source.path points at the full file (was it truncated?)")
    check_role_columns(loaded, df)
    with registry.locked(), storage_errors(spec.name, "version"):
        registry.ensure()
        scratch = registry.root / ".staging" / spec.name / "incoming.parquet"
        md5 = write_parquet(df, scratch)
        del df
        tag = certified_tag_for(registry, spec.name, md5)
        if tag:
            scratch.unlink(missing_ok=True)
            log.info("%s: version %s is already certified as %s; nothing to do", spec.name, md5, tag)
            return VersionInfo(spec.name, md5, rows, tag)
        registry.cache_version(scratch, md5)
        scratch.unlink(missing_ok=True)
    log.info("%s: version %s (%d rows) added to the DVC cache", spec.name, md5, rows)
    return VersionInfo(spec.name, md5, rows, None)


def version_bytes(settings: Settings, md5: str, dataset: str | None = None) -> Path:
    """The immutable, content-addressed copy of a version (DVC cache), checked against its md5."""
    try:
        path = registry_for(settings).bytes_path(md5)
    except RegistryError as exc:  # e.g. `dvc gc` between two stages: re-versioning puts the bytes back
        raise RegistryError(f"no copy of version {md5} in the DVC cache or the remote", dataset=dataset,
                            fix="re-run the whole certify DAG (its version stage stores the bytes again)"
                            ) from exc
    actual = file_md5(path)
    if actual != (md5.removesuffix(".dir") if md5.endswith(".dir") else md5):
        raise DataError(f"the stored bytes of version {md5} now hash to {actual}", dataset=dataset,
                        fix="the DVC cache was altered: run `dvc fetch` / `dvc checkout` in the registry")
    return path


def version_table(settings: Settings, md5: str, dataset: str | None = None) -> Path:
    """The Parquet table the checks read: the version itself, or a tree version's ``table.parquet``."""
    if not md5.endswith(".dir"):
        return version_bytes(settings, md5, dataset)
    from datavet.tree_version import tree_member

    return tree_member(settings, md5, TABLE_FILE, dataset)


# ---- stage 2 ---------------------------------------------------------------------------------------
def validate(loaded: LoadedSpec, settings: Settings, md5: str) -> CheckReport:
    """Run the GX suite on the version; raise ChecksFailed if an error-severity check fails."""
    from datavet.checks import run_checks
    from datavet.references import check_references

    spec = loaded.spec
    check_references(loaded)
    registry = registry_for(settings)
    with version_stage(settings, spec.name, md5, "validate") as tag:
        if tag:
            return CheckReport.model_validate_json(registry.show(tag, registry.validation_path(spec.name, md5)))
        staging = registry.staging_dir(spec.name, md5)
        report = run_checks(loaded, version_table(settings, md5, spec.name), data_hash=md5, settings=settings)
        if md5.endswith(".dir"):  # a tree of files: its integrity against the manifest
            from datavet.tree_version import tree_integrity, with_files_check

            report = with_files_check(loaded, tree_integrity(settings, md5, spec.name), report)
        # the exact report decides and feeds the datasheet; only the published form leaves the process
        # (the GX result stays in the project's local GX store: it holds exact counts)
        published = report.published(spec.small_cell_threshold)
        atomic_write_text(staging / EXACT_REPORT_FILE, report.to_json())
        atomic_write_text(staging / REPORT_FILE, published.to_json())
    if not report.success:
        raise ChecksFailed(spec.name, published.summary())
    warned = report.failed(severity="warning")
    log.info("%s: %d checks passed%s", spec.name, len(report.checks) - len(warned),
             f"; {len(warned)} warning(s):\n{published.summary()}" if warned else "")
    return published


def staged_report(settings: Settings, name: str, md5: str, *, exact: bool = False) -> CheckReport:
    """The staged report: its published form, or (``exact``) the exact one the datasheet is built from."""
    path = registry_for(settings).staging_dir(name, md5) / (EXACT_REPORT_FILE if exact else REPORT_FILE)
    if not path.exists():
        raise DataError(f"no validation result for version {md5}", dataset=name,
                        fix="run the validate stage first (the certify DAG does)")
    report = CheckReport.model_validate_json(path.read_bytes())
    if report.data_hash != md5:
        raise DataError(f"the staged validation result describes {report.data_hash}, not {md5}", dataset=name,
                        fix="re-run the validate stage")
    return report


# ---- stage 3 ---------------------------------------------------------------------------------------
def document(loaded: LoadedSpec, settings: Settings, md5: str) -> dict[str, Path]:
    """Write the datasheet (md/html/json) for the version; refuse if required answers are missing."""
    spec = loaded.spec
    registry = registry_for(settings)
    with version_stage(settings, spec.name, md5, "document") as tag:
        if tag:
            return {name.rsplit(".", 1)[1]: registry.datasheet_dir(spec.name) / name for name in DATASHEET_FILES}
        return _document(loaded, settings, md5)


def _document(loaded: LoadedSpec, settings: Settings, md5: str) -> dict[str, Path]:
    from datavet.datasheet import build_datasheet, render_all, require_complete

    spec = loaded.spec
    report = staged_report(settings, spec.name, md5, exact=True)
    files = None
    if md5.endswith(".dir"):  # a tree of files: the composition of its files
        from datavet.tree_version import tree_integrity

        files = tree_integrity(settings, md5, spec.name)
    sheet = build_datasheet(loaded, report, version_table(settings, md5, spec.name), data_md5=md5,
                            answers_path=loaded.answers_path, files=files)
    require_complete(sheet, spec.name)
    changes = changes_since_previous(loaded, settings, md5, report, json.loads(sheet.model_dump_json()))
    if changes is not None:
        sheet = sheet.model_copy(update={"changes": changes})
    out = registry_for(settings).staging_dir(spec.name, md5) / "datasheet"
    return render_all(sheet, out)


def changes_since_previous(loaded: LoadedSpec, settings: Settings, md5: str, report: CheckReport,
                           sheet_json: dict) -> Changes | None:
    """Diff against the newest certified version with other bytes (None for a first version)."""
    name = loaded.spec.name
    registry = registry_for(settings)
    for tag in reversed(registry.certified_tags(name)):
        old_md5 = registry.recorded_md5(name, rev=tag)
        if old_md5 is None or old_md5 == md5:
            continue
        old_report = CheckReport.model_validate_json(registry.show(tag, registry.validation_path(name, old_md5)))
        old_sheet = json.loads(registry.show(tag, registry.datasheet_dir(name) / "datasheet.json"))
        return compute_changes(new_report=report, old_report=old_report, previous_tag=tag,
                               new_data=version_table(settings, md5), old_data=version_table(settings, old_md5),
                               new_answers=answers_of(sheet_json), old_answers=answers_of(old_sheet),
                               small_cell_threshold=loaded.spec.small_cell_threshold)
    return None


# ---- stage 4 ---------------------------------------------------------------------------------------
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
        existing = certified_tag_for(registry, spec.name, md5)
        if existing:
            cert = Certificate.model_validate_json(registry.show(existing, registry.certificate_path(spec.name, md5)))
            log.info("%s: version %s is already certified as %s; nothing to do", spec.name, md5, existing)
            return cert, False
        report = staged_report(settings, spec.name, md5)
        if not report.success:
            raise ChecksFailed(spec.name, report.summary())
        sheet_files = [staging / "datasheet" / f for f in DATASHEET_FILES]
        if not all(p.exists() for p in sheet_files):
            raise DataError(f"no datasheet was written for version {md5}", dataset=spec.name,
                            fix="run the datasheet stage first (the certify DAG does)")
        data = version_bytes(settings, md5, spec.name)
        try:
            cert = _commit_and_tag(loaded, registry, report, data, md5, certified_by)
        except BaseException:
            _restore(registry, spec.name)
            raise
        shutil.rmtree(staging, ignore_errors=True)
    log.info("%s: certified version %s as %s", spec.name, md5, cert.tag)
    return cert, True


def _commit_and_tag(loaded: LoadedSpec, registry: Registry, report: CheckReport, data: Path, md5: str,
                    certified_by: str) -> Certificate:
    """Point the .dvc file at the bytes, place the documents, write the certificate, push, commit, tag.

    The push comes after every local write (a full disk fails before the remote is touched) and
    the tag comes last. A pushed object whose commit then fails stays in the remote: it is
    content-addressed and unreferenced, and remotes can be shared, so it is never deleted."""
    spec = loaded.spec
    staging = registry.staging_dir(spec.name, md5)
    if md5.endswith(".dir"):
        registry.add_tree(spec.name, md5)  # .dvc points at the cached tree (committed below)
    else:
        registry.add_version(spec.name, data, md5)  # .dvc points at md5 (workspace only until the commit)
    sequence = len(registry.certified_tags(spec.name)) + 1
    tag = f"{spec.name}/certified/{sequence}"
    placed: dict[Path, Path] = {staging / REPORT_FILE: registry.validation_path(spec.name, md5)}
    for name in DATASHEET_FILES:
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
        dataset=spec.name, md5=md5, size=registry.version_size(md5), rows=report.rows, tag=tag,
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
        certified_by=certified_by,
    )
    cert_path = registry.certificate_path(spec.name, md5)
    atomic_write_text(cert_path, cert.to_json())
    registry.push(spec.name)
    if not registry.in_remote(md5):
        raise RegistryError(f"version {md5} is not in the DVC remote {registry.remote} after push",
                            dataset=spec.name, fix="check the remote is reachable and writable")
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


def run_all(loaded: LoadedSpec, settings: Settings) -> tuple[VersionInfo, Certificate | None, bool]:
    """The whole pipeline in one process (the CLI's ``datavet certify``)."""
    info = version(loaded, settings)
    if info.certified_tag:
        cert, _ = certify(loaded, settings, info.md5)
        return info, cert, False
    validate(loaded, settings, info.md5)
    document(loaded, settings, info.md5)
    cert, created = certify(loaded, settings, info.md5)
    return info, cert, created


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


def dump(obj: object) -> str:
    return json.dumps(obj, indent=2, default=str)
