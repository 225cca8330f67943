"""What the four stages share: where a version's staged files are, the registry lock around a stage,
the content-addressed bytes of a version, and the report the validate stage staged.

Each stage takes the spec and the version's md5 (small, JSON-able: what Airflow passes between
tasks), reads what earlier stages left in the version's staging folder, and is safe to re-run.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
from collections.abc import Iterator
from pathlib import Path

from datavet.errors import DataError, RegistryError
from datavet.fsutil import settled_md5
from datavet.registry import Registry
from datavet.registry.fingerprint import Rules, rules_of, table_columns
from datavet.registry.store import certified_tag_for
from datavet.report import CheckReport
from datavet.settings import Settings
from datavet.spec import LoadedSpec

log = logging.getLogger("datavet.stages")
REPORT_FILE = "report.json"  # the published form (small cells suppressed): what the registry stores
EXACT_REPORT_FILE = "report.exact.json"  # exact counts, for the datasheet stage only: never committed
DATASHEET_FILES = ("datasheet.md", "datasheet.html", "datasheet.json")
CROISSANT_FILE = "datasheet.croissant.json"
# the documents of every version (a file, splits, a tree of files, a partitioned table): the datasheet
# and its Croissant description
VERSION_DOCUMENTS = (*DATASHEET_FILES, CROISSANT_FILE)


def registry_for(settings: Settings) -> Registry:
    return Registry.of(settings)



@contextlib.contextmanager
def storage_errors(dataset: str, stage: str) -> Iterator[None]:
    """A full disk or a read-only file system is the environment's fault, not the data's: say which
    file and what to do, as a retryable RegistryError rather than a bare OSError traceback."""
    try:
        yield
    except OSError as exc:
        where = f" on {exc.filename!r}" if exc.filename else ""
        raise RegistryError(f"the {stage} stage failed{where}: {exc.strerror or exc}", dataset=dataset,
                            fix=f"{_os_fix(exc)}, then re-run (the stage is safe to retry; nothing was "
                                "certified)") from exc
    except RegistryError as exc:  # git/DVC failures know the registry, not the dataset
        if exc.dataset:
            raise
        raise RegistryError(exc.message, dataset=dataset, fix=exc.fix) from exc


def _os_fix(exc: OSError) -> str:
    """What to do about a failure of the environment, by what failed (not always the disk)."""
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "give the account datavet runs as the right to read (and, under DATAVET_HOME, write) that path"
    if exc.errno == errno.EROFS:
        return "point DATAVET_HOME at a writable file system"
    if exc.errno == errno.ENOMEM:
        return "raise DATAVET_DUCKDB_MEMORY_LIMIT or run where there is more memory"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "free disk space on that file system"
    return "check that path"


def version_rules(loaded: LoadedSpec, settings: Settings, md5: str) -> Rules:
    """The fingerprint of the rules this version is certified under now (datavet.registry.fingerprint). Only
    the Parquet schema is read: the bytes are hashed where a stage reads them, not here too."""
    columns = None
    if not md5.endswith(".dir"):
        try:
            columns = table_columns(registry_for(settings).bytes_path(md5))
        except Exception:  # gone or unreadable: version_table below says why, as every stage does
            columns = None
    if columns is None:
        columns = table_columns(version_table(settings, md5, loaded.spec.name))
    return rules_of(loaded, settings, columns)


@contextlib.contextmanager
def version_stage(settings: Settings, loaded: LoadedSpec, md5: str, stage: str) -> Iterator[str | None]:
    """Run a stage under the dataset's lock; yields the tag if the version is already certified
    under the current rules.

    The lock keeps two runs of one DAG from writing into, or deleting, the same staging folder; a
    version certified meanwhile (by a concurrent run or an earlier attempt) needs no more work."""
    registry = registry_for(settings)
    name = loaded.spec.name
    with registry.locked(name), storage_errors(name, stage):
        tag = certified_tag_for(registry, name, md5, version_rules(loaded, settings, md5), loaded.path)
        if tag:
            log.info("%s: version %s is already certified as %s; %s has nothing to do", name, md5, tag, stage)
        yield tag


def version_bytes(settings: Settings, md5: str, dataset: str | None = None) -> Path:
    """The immutable, content-addressed copy of a version (DVC cache), checked against its md5."""
    try:
        path = registry_for(settings).bytes_path(md5)
    except RegistryError as exc:  # e.g. `dvc gc` between two stages: re-versioning puts the bytes back
        raise RegistryError(f"no copy of version {md5} in the DVC cache or the remote", dataset=dataset,
                            fix="re-run the whole certify DAG (its version stage stores the bytes again)"
                            ) from exc
    actual = settled_md5(path)
    if actual != md5.removesuffix(".dir"):  # a tree version's bytes are its .dir listing
        registry = registry_for(settings)
        if path != registry.cache_path(md5):  # the cache has none: this is the remote's copy, damaged too
            raise DataError(f"version {md5} has no copy in the DVC cache, and the DVC remote's copy ({path}) hashes "
                            f"to {actual}: damaged (fetching it again would bring back the same bytes)",
                            dataset=dataset,
                            fix="restore that object into the remote from a backup, or certify the dataset again "
                                "from its source (its version stage stores the bytes again)")
        raise DataError(f"the DVC cache's copy of version {md5} ({path}) now hashes to {actual}", dataset=dataset,
                        fix=f"delete {path} and re-run the certify DAG (its version stage stores the bytes again "
                            "from the source), or `dvc fetch` in the registry if the remote's copy is intact "
                            "(`datavet verify` says)")
    return path


def version_table(settings: Settings, md5: str, dataset: str | None = None) -> Path:
    """The Parquet table the checks read: the version itself, or a tree version's ``table.parquet``."""
    if not md5.endswith(".dir"):
        return version_bytes(settings, md5, dataset)
    from datavet.registry.tree_version import is_partitioned, parts_folder, tree_member
    from datavet.sources.base import TABLE_FILE

    if is_partitioned(settings, md5):  # a partitioned table: the folder of its parts
        return parts_folder(settings, md5, dataset)
    return tree_member(settings, md5, TABLE_FILE, dataset)


def files_tree(settings: Settings, md5: str) -> bool:
    """Whether version ``md5`` is a tree of files (with its integrity counts), not a table."""
    from datavet.registry.tree_version import is_partitioned

    return md5.endswith(".dir") and not is_partitioned(settings, md5)


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


def dump(obj: object) -> str:
    return json.dumps(obj, indent=2, default=str)
