"""Stage 1, version: the source becomes a version in the DVC cache; DVC's md5 is its identity."""

from __future__ import annotations

from dataclasses import dataclass

from datavet.errors import DataError
from datavet.ingest import check_role_columns, read_source, write_parquet
from datavet.settings import Settings
from datavet.spec import LoadedSpec
from datavet.stages.common import log, registry_for, storage_errors
from datavet.store import certified_tag_for


@dataclass(frozen=True)
class VersionInfo:
    dataset: str
    md5: str
    rows: int
    certified_tag: str | None  # set when this exact version is already certified: nothing to do



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


