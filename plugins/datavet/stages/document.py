"""Stage 3, document: the datasheet (md/html/json, and Croissant) of the version, with what changed since the
previous certified version."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from datavet.changes import Changes, answers_of, compute_changes
from datavet.engines import Engine, engine_for, engine_name, version_engine
from datavet.registry.certificate import Recertification
from datavet.registry.store import previous_certified
from datavet.report import CheckReport
from datavet.settings import Settings
from datavet.spec import LoadedSpec
from datavet.stages.common import (
    VERSION_DOCUMENTS,
    files_tree,
    log,
    registry_for,
    staged_report,
    version_stage,
    version_table,
)

if TYPE_CHECKING:  # pragma: no cover
    from datavet.datasheet.croissant import Distribution, Layout
    from datavet.spec import DatasetSpec


def document(loaded: LoadedSpec, settings: Settings, md5: str, *, reason: str | None = None) -> dict[str, Path]:
    """Write the datasheet (md/html/json) for the version; refuse if required answers are missing.
    ``reason``: why it is certified (``certify --reason``), shown beside what changed in the rules."""
    from datavet.registry.recertification import checked_reason

    spec = loaded.spec
    reason = checked_reason(reason, spec.name)
    registry = registry_for(settings)
    with version_stage(settings, loaded, md5, "document") as tag:
        if tag:  # what was certified (a tree certified before trees had Croissant has none)
            folder = registry.datasheet_dir(spec.name)
            return {name.removeprefix("datasheet.").split(".")[0]: folder / name
                    for name in VERSION_DOCUMENTS if (folder / name).exists()}
        return _document(loaded, settings, md5, reason)


def _document(loaded: LoadedSpec, settings: Settings, md5: str, reason: str | None) -> dict[str, Path]:
    from datavet.datasheet import build_datasheet, render_all, require_complete
    from datavet.datasheet.croissant import Distribution

    spec = loaded.spec
    report = staged_report(settings, spec.name, md5, exact=True)
    files = None
    if files_tree(settings, md5) and spec.source.has_files:  # a tree of files: the composition of its files
        from datavet.registry.tree_version import tree_integrity

        files = tree_integrity(settings, md5, spec.name)
    sheet = build_datasheet(loaded, report, version_table(settings, md5, spec.name), data_md5=md5,
                            answers_path=loaded.answers_path, files=files, engine=profile_engine(loaded, settings))
    require_complete(sheet, spec.name)
    changes = changes_since_previous(loaded, settings, md5, report, json.loads(sheet.model_dump_json()))
    if changes is not None:
        sheet = sheet.model_copy(update={"changes": changes})
    sheet = sheet.model_copy(update={"signer": signer_of(settings),
                                     "recertification": rules_changed(loaded, settings, reason)})
    registry = registry_for(settings)
    out = registry.staging_dir(spec.name, md5) / "datasheet"
    if md5.endswith(".dir") and spec.source.kind == "splits" and not spec.source.has_files:
        return render_all(sheet, out, splits_distribution(settings, spec.name, md5))
    if md5.endswith(".dir"):
        return render_all(sheet, out, folder_distribution(settings, spec, md5))
    # the Croissant file points at the data where the registry keeps it, relative to itself
    url = os.path.relpath(registry.data_path(spec.name), registry.datasheet_dir(spec.name))
    return render_all(sheet, out, Distribution(version_table(settings, md5, spec.name), url))


def profile_ahead(loaded: LoadedSpec, settings: Settings, md5: str) -> None:
    """The datasheet's profile of a partitioned version, computed now and kept in this process
    (datavet.engines.parts), for ``datavet certify`` to spend GX's import on: the profile needs no
    GX. A failure is left for the datasheet stage to report, in its turn (after validate's)."""
    from datavet.datasheet import profile_parquet
    from datavet.errors import DatavetError
    from datavet.registry.tree_version import is_partitioned

    if not md5.endswith(".dir") or profile_engine(loaded, settings) is not None:
        return
    try:
        with registry_for(settings).locked(loaded.spec.name):
            if is_partitioned(settings, md5):
                profile_parquet(version_table(settings, md5, loaded.spec.name), loaded)
    except (DatavetError, OSError):
        log.debug("profiling %s ahead failed; the datasheet stage profiles it", md5, exc_info=True)


def profile_engine(loaded: LoadedSpec, settings: Settings) -> Engine | None:
    """Spark profiles the version where it counted it (the driver holds no row); with any other
    engine the profile is DuckDB's (None: build_datasheet's default, per part for a partitioned version)."""
    name = version_engine(engine_name(spec=loaded.spec.engine, settings=settings))
    return engine_for(name, settings) if name == "spark" else None


def signer_of(settings: Settings) -> str:
    """The key the certification will be signed with, or UNSIGNED (certify refuses a datasheet whose
    claim is not its own: datavet.stages.certify)."""
    from datavet.registry.signing import signing_key

    return signing_key(settings).fingerprint if settings.signing else "UNSIGNED"


def rules_changed(loaded: LoadedSpec, settings: Settings, reason: str | None) -> Recertification | None:
    """The spec keys and answers changed since the dataset's previous certification (its signed
    statement), and the reason: what certify records in the certificate, computed the same way."""
    from datavet.registry.recertification import answers_record, recertification
    from datavet.registry.store import signed_predicate

    registry = registry_for(settings)
    tags = registry.certified_tags(loaded.spec.name)
    before = signed_predicate(registry, loaded.spec.name, tags[-1]) if tags else None
    return recertification(tags[-1] if tags else None, before, loaded, answers_record(loaded), reason)


def splits_distribution(settings: Settings, name: str, md5: str) -> Distribution:
    """A splits version of tables: its whole table and each split's member, each where the registry's
    checkout of the directory output puts it, relative to the Croissant file."""
    from datavet.datasheet.croissant import Distribution, Member
    from datavet.registry.tree_version import tree_member
    from datavet.sources.base import TABLE_FILE

    registry = registry_for(settings)
    folder = os.path.relpath(registry.data_path(name, md5), registry.datasheet_dir(name))
    members = tuple(Member(split=e.relpath.removesuffix(".parquet"), path=tree_member(settings, md5, e.relpath, name),
                           content_url=f"{folder}/{e.relpath}", md5=e.md5)
                    for e in registry.tree_entries(md5) if e.relpath.endswith(".parquet") and e.relpath != TABLE_FILE)
    return Distribution(version_table(settings, md5, name), f"{folder}/{TABLE_FILE}", members)


def folder_distribution(settings: Settings, spec: DatasetSpec, md5: str) -> Layout:
    """A tree of files (each split's, for a splits version of trees) or a partitioned table: the directory
    output where the registry's checkout puts it, relative to the Croissant file."""
    from datavet.datasheet.croissant_dirs import PartsDistribution, Tree, TreeDistribution
    from datavet.registry import dvctree
    from datavet.registry.tree_version import is_partitioned, tree_member
    from datavet.sources.base import TABLE_FILE
    from datavet.sources.files import INTEGRITY_FILE

    registry = registry_for(settings)
    name = spec.name
    folder = os.path.relpath(registry.data_path(name, md5), registry.datasheet_dir(name))
    entries = registry.tree_entries(md5)
    if is_partitioned(settings, md5):
        return PartsDistribution(folder, md5, len(entries))
    trees = []
    for split in spec.source.splits or [None]:
        prefix = f"{split}/" if split else ""
        inside = [dvctree.Entry(e.relpath.removeprefix(prefix), e.md5) for e in entries if e.relpath.startswith(prefix)]
        integrity = json.loads(tree_member(settings, md5, prefix + INTEGRITY_FILE, name).read_bytes())
        trees.append(Tree(split, f"{folder}/{split}" if split else folder, dvctree.tree_md5(inside),
                          tree_member(settings, md5, prefix + TABLE_FILE, name),
                          next(e.md5 for e in inside if e.relpath == TABLE_FILE),
                          tuple(integrity.get("formats") or {})))
    return TreeDistribution(tuple(trees))


def changes_since_previous(loaded: LoadedSpec, settings: Settings, md5: str, report: CheckReport,
                           sheet_json: dict) -> Changes | None:
    """Diff against the newest certified version with other bytes (None for a first version)."""
    name = loaded.spec.name
    registry = registry_for(settings)
    previous = previous_certified(registry, name, md5)
    if previous is None:
        return None
    tag, old_md5 = previous
    old_report = CheckReport.model_validate_json(registry.show(tag, registry.validation_path(name, old_md5)))
    old_sheet = json.loads(registry.show(tag, registry.datasheet_dir(name) / "datasheet.json"))
    engine = engine_for(version_engine(engine_name(spec=loaded.spec.engine, settings=settings)), settings)
    from datavet.engines.parts import row_difference

    difference = row_difference(engine, version_table(settings, md5, name), version_table(settings, old_md5, name),
                                registry.cache_dir)  # a partitioned version: only the parts that changed
    return compute_changes(new_report=report, old_report=old_report, previous_tag=tag,
                           rows_added_removed=difference,
                           new_answers=answers_of(sheet_json), old_answers=answers_of(old_sheet),
                           small_cell_threshold=loaded.spec.small_cell_threshold)


