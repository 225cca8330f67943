"""The whole certify pipeline in one process: version -> validate -> document -> certify.

The stages themselves are in datavet.stages (one module each); this module composes them and is
what the CLI's ``datavet certify``, the Airflow operators and ``dvc.yaml`` import.
"""

from __future__ import annotations

import contextlib

from datavet import gx_preload
from datavet.registry.certificate import Certificate
from datavet.registry.store import certified_tag_for
from datavet.settings import Settings
from datavet.spec import LoadedSpec
from datavet.stages import (
    DATASHEET_FILES,
    EXACT_REPORT_FILE,
    REPORT_FILE,
    VersionInfo,
    certificate_summary,
    certify,
    changes_since_previous,
    document,
    registry_for,
    staged_report,
    validate,
    version,
    version_bytes,
)
from datavet.stages.document import profile_ahead


def run_all(loaded: LoadedSpec, settings: Settings, *, reason: str | None = None
            ) -> tuple[VersionInfo, Certificate | None, bool]:
    """The whole pipeline in one process (the CLI's ``datavet certify``); ``reason``: why, recorded
    in the certificate and its signed statement when a new certification is made."""
    gx_preload.start()  # GX's import runs meanwhile; validate waits for it
    info = version(loaded, settings)
    if info.certified_tag:
        cert, _ = certify(loaded, settings, info.md5)
        return info, cert, False
    if gx_preload.loading():  # work later stages need and GX does not, while GX imports
        profile_ahead(loaded, settings, info.md5)
        remote_ahead(settings, info.md5)
    validate(loaded, settings, info.md5)
    document(loaded, settings, info.md5, reason=reason)
    cert, created = certify(loaded, settings, info.md5, reason=reason)
    return info, cert, created


def remote_ahead(settings: Settings, md5: str) -> None:
    """The local remote's copies of a tree version's files hashed now, for the certify stage's push."""
    from datavet.registry import dvctree

    registry = registry_for(settings)
    if dvctree.is_tree(md5) and registry.remote_dir is not None:
        with contextlib.suppress(OSError):  # the push reports it, in its turn
            dvctree.hash_remote_copies(registry.cache_dir, registry.remote_dir, md5)


__all__ = ["DATASHEET_FILES", "EXACT_REPORT_FILE", "REPORT_FILE", "VersionInfo", "certificate_summary",
           "certified_tag_for", "certify", "changes_since_previous", "document", "registry_for", "run_all",
           "staged_report", "validate", "version", "version_bytes"]
