"""Stage 2, validate: the GX suite on the version; an error-severity failure stops the run."""

from __future__ import annotations

from datavet.errors import ChecksFailed
from datavet.fsutil import atomic_write_text
from datavet.report import CheckReport
from datavet.settings import Settings
from datavet.spec import LoadedSpec
from datavet.stages.common import (
    EXACT_REPORT_FILE,
    REPORT_FILE,
    files_tree,
    log,
    registry_for,
    version_stage,
    version_table,
)


def validate(loaded: LoadedSpec, settings: Settings, md5: str) -> CheckReport:
    """Run the GX suite on the version; raise ChecksFailed if an error-severity check fails.

    Missing datasheet answers are refused first: they would stop certification anyway, and the checks
    are the slow part."""
    from datavet.checks import run_checks
    from datavet.datasheet import require_answers
    from datavet.references import check_references

    spec = loaded.spec
    check_references(loaded)
    registry = registry_for(settings)
    with version_stage(settings, loaded, md5, "validate") as tag:
        if tag:
            return CheckReport.model_validate_json(registry.show(tag, registry.validation_path(spec.name, md5)))
        require_answers(loaded)
        log.info("%s: checking version %s against the spec's checks", spec.name, md5)
        staging = registry.staging_dir(spec.name, md5)
        report = run_checks(loaded, version_table(settings, md5, spec.name), data_hash=md5, settings=settings)
        if files_tree(settings, md5):  # a tree of files: the checks on its integrity (checks computed outside GX)
            from datavet.checks.registry import with_version_checks
            from datavet.registry.tree_version import tree_integrity

            report = with_version_checks(loaded, {"tree": tree_integrity(settings, md5, spec.name)}, report)
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


