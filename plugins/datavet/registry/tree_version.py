"""The version stage for a tree of files, and reading one member of a tree version back.

Like a table version, a tree enters the DVC cache only (one object per file plus its ``.dir``
listing); tracked files change only when it is certified. The files are staged under the dataset's
own lock, so a long scan of 100,000 images never holds up other datasets' DVC work.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

from datavet.errors import DataError, RegistryError
from datavet.fsutil import file_md5
from datavet.registry import dvctree
from datavet.settings import Settings
from datavet.sources.roles import check_role_columns
from datavet.spec import LoadedSpec

log = logging.getLogger(__name__)


def version_tree(loaded: LoadedSpec, settings: Settings) -> tuple[str, str, int, str | None]:
    """(dataset, md5, rows, tag if already certified) after caching the tree version."""
    from datavet.registry.fingerprint import rules_of, table_columns
    from datavet.registry.store import certified_tag_for
    from datavet.sources import source_for
    from datavet.stages.common import registry_for, storage_errors

    spec = loaded.spec
    registry = registry_for(settings)
    scratch = registry.incoming_dir(spec.name) / "incoming.tree"
    with registry.locked(spec.name), storage_errors(spec.name, "version"):
        with registry.locked():
            registry.ensure()
        try:
            version = source_for(loaded, settings).materialise(scratch)
            check_role_columns(loaded, version.table, settings)
            with registry.locked():
                rules = rules_of(loaded, settings, table_columns(version.table))
                tag = certified_tag_for(registry, spec.name, version.md5, rules, loaded.path)
                if tag is None:
                    registry.cache_tree(scratch, version.entries, version.staged)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    if tag:
        log.info("%s: version %s is already certified as %s; nothing to do", spec.name, version.md5, tag)
    else:
        log.info("%s: tree version %s (%d files) added to the DVC cache", spec.name, version.md5, version.rows)
    return spec.name, version.md5, version.rows, tag


def tree_member(settings: Settings, md5: str, relpath: str, dataset: str | None = None) -> Path:
    """The cached object of one file of tree version ``md5``, its bytes checked against the listing."""
    from datavet.stages.common import registry_for

    registry = registry_for(settings)
    try:
        entry = next((e for e in registry.tree_entries(md5) if e.relpath == relpath), None)
        if entry is None:
            raise DataError(f"tree version {md5} has no {relpath}", dataset=dataset,
                            fix="re-run the whole certify DAG (its version stage writes it)")
        path = registry.bytes_path(entry.md5)
    except RegistryError as exc:
        raise RegistryError(exc.message, dataset=dataset,
                            fix="re-run the whole certify DAG (its version stage stores the bytes again)") from exc
    actual = file_md5(path)
    if actual != entry.md5:
        raise DataError(f"{relpath} of version {md5} now hashes to {actual}, listed as {entry.md5}",
                        dataset=dataset, fix="the DVC cache was altered: run `dvc fetch` in the registry")
    return path


def tree_integrity(settings: Settings, md5: str, dataset: str | None = None) -> dict:
    """The ``integrity.json`` a tree version carries (counts for the files check and the datasheet)."""
    from datavet.sources.files import INTEGRITY_FILE

    return json.loads(tree_member(settings, md5, INTEGRITY_FILE, dataset).read_bytes())



def is_partitioned(settings: Settings, md5: str) -> bool:
    """Whether version ``md5`` is a partitioned table (its files all Parquet parts), not a tree of files."""
    from datavet.sources.partitioned import is_parts_listing
    from datavet.stages.common import registry_for

    return dvctree.is_tree(md5) and is_parts_listing(registry_for(settings).tree_entries(md5))


def parts_folder(settings: Settings, md5: str, dataset: str | None = None) -> Path:
    """A folder holding every part of partitioned version ``md5`` (hard links to the cached objects,
    each checked against the listing), which the engines read as one table."""
    import os
    import time

    from datavet.fsutil import SETTLE_FINE_NS, settled_md5
    from datavet.stages.common import registry_for

    registry = registry_for(settings)
    entries = registry.tree_entries(md5)
    folder = registry.root / ".staging" / ".parts" / md5.removesuffix(".dir")
    if folder.is_dir() and sorted(p.name for p in folder.iterdir()) == sorted(e.relpath for e in entries):
        paths = [folder / e.relpath for e in entries]
    else:
        tmp = folder.with_name(f".{folder.name}.{os.getpid()}.tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        for entry in entries:
            os.link(registry.bytes_path(entry.md5), tmp / entry.relpath)
        shutil.rmtree(folder, ignore_errors=True)
        try:
            os.replace(tmp, folder)
        except OSError:  # another process placed it meanwhile (same md5: the same parts)
            shutil.rmtree(tmp, ignore_errors=True)
        paths = [folder / e.relpath for e in entries]
        # a link changes the objects' ctime: hashed within the same clock tick, they would not be
        # remembered (fsutil.settled_digests), and each later stage would read them all again
        time.sleep(2 * SETTLE_FINE_NS / 1e9)
    for entry, path in zip(entries, paths, strict=True):
        actual = settled_md5(path)
        if actual != entry.md5:
            raise DataError(f"part {entry.relpath} of version {md5} now hashes to {actual}, listed as {entry.md5}",
                            dataset=dataset, fix="the DVC cache was altered: run `dvc fetch` in the registry")
    return folder
