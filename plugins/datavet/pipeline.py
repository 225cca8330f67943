"""The whole certify pipeline in one process: version -> validate -> document -> certify.

The stages themselves are in datavet.stages (one module each); this module composes them and is
what the CLI's ``datavet certify``, the Airflow operators and ``dvc.yaml`` import.
"""

from __future__ import annotations

import importlib
import logging
import threading

from datavet.certificate import Certificate
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
from datavet.store import certified_tag_for


def run_all(loaded: LoadedSpec, settings: Settings) -> tuple[VersionInfo, Certificate | None, bool]:
    """The whole pipeline in one process (the CLI's ``datavet certify``)."""
    gx_import = import_gx_meanwhile()
    try:
        info = version(loaded, settings)
    finally:
        gx_import.join()
    if info.certified_tag:
        cert, _ = certify(loaded, settings, info.md5)
        return info, cert, False
    validate(loaded, settings, info.md5)
    document(loaded, settings, info.md5)
    cert, created = certify(loaded, settings, info.md5)
    return info, cert, created


# What the version stage imports that Great Expectations imports too: loaded before GX's thread starts.
SHARED_LIBRARIES = ("numpy", "pandas", "pyarrow", "pyarrow.parquet", "duckdb")


def import_gx_meanwhile() -> threading.Thread:
    """Import Great Expectations on a second thread while the version stage streams the source.

    GX's import is about 4 s of pure Python, and the version stage spends its time in DuckDB and
    zstd, which leave the GIL free; validate then finds GX imported. The libraries both import are
    imported here first, so the thread imports only modules the version stage never does (no
    module is ever imported by both threads at once). A failure in the thread is left for
    validate's own import to raise."""
    for name in SHARED_LIBRARIES:
        importlib.import_module(name)
    logging.getLogger("great_expectations").setLevel(logging.WARNING)  # as datavet.gx sets it, before GX speaks

    def load() -> None:
        try:
            importlib.import_module("great_expectations")
        except Exception:  # validate imports it again and reports what is wrong
            logging.getLogger(__name__).debug("importing great_expectations ahead failed", exc_info=True)

    thread = threading.Thread(target=load, name="datavet-import-gx", daemon=True)
    thread.start()
    return thread


__all__ = ["DATASHEET_FILES", "EXACT_REPORT_FILE", "REPORT_FILE", "VersionInfo", "certificate_summary",
           "certified_tag_for", "certify", "changes_since_previous", "document", "registry_for", "run_all",
           "staged_report", "validate", "version", "version_bytes"]
