"""Stage 1, version: the source becomes a version in the DVC cache; DVC's md5 is its identity."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from datavet.registry import Registry
from datavet.registry.fingerprint import rules_of, table_columns
from datavet.registry.store import certified_tag_for
from datavet.settings import Settings
from datavet.sources import source_for
from datavet.sources.roles import check_usable
from datavet.spec import LoadedSpec
from datavet.stages.common import log, registry_for, storage_errors


@dataclass(frozen=True)
class VersionInfo:
    dataset: str
    md5: str
    rows: int
    certified_tag: str | None  # set when this exact version is already certified: nothing to do


def version(loaded: LoadedSpec, settings: Settings) -> VersionInfo:
    """Stream the source into one Parquet file and put it in the DVC cache: DVC's md5 is the version id.

    The source is read once, by its ``datavet.sources`` module, into a scratch folder of its own
    (outside the registry lock, so a long read holds up no other dataset); the role columns are
    checked with queries on that file. Tracked files stay as they are: only a certification moves
    the ``.dvc`` pointer."""
    spec = loaded.spec
    if spec.source.kind == "files":
        from datavet.registry.tree_version import version_tree

        return VersionInfo(*version_tree(loaded, settings))
    registry = registry_for(settings)
    with registry.locked(), storage_errors(spec.name, "version"):
        registry.ensure()
    with storage_errors(spec.name, "version"), incoming(registry, spec.name) as scratch:
        made = source_for(loaded, settings).materialise(scratch)
        check_usable(loaded, made, settings)
        rules = rules_of(loaded, settings, table_columns(made.table))  # outside the lock: no other dataset waits
        with registry.locked():
            tag = certified_tag_for(registry, spec.name, made.md5, rules, loaded.path)
            if tag:
                if not registry.cache_path(made.md5).is_file():  # the cache was emptied: these bytes, just
                    registry.cache_version(made.path, made.md5)  # hashed, restore it (certify heals the remote)
                log.info("%s: version %s is already certified as %s; nothing to do", spec.name, made.md5, tag)
                return VersionInfo(spec.name, made.md5, made.rows, tag)
            registry.cache_version(made.path, made.md5)
    log.info("%s: version %s (%d rows) added to the DVC cache", spec.name, made.md5, made.rows)
    return VersionInfo(spec.name, made.md5, made.rows, None)


@contextlib.contextmanager
def incoming(registry: Registry, name: str) -> Iterator[Path]:
    """A scratch folder for one version stage run (two runs of one DAG never share one), removed after."""
    parent = registry.incoming_dir(name)
    parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="incoming-", dir=parent))
    try:
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
