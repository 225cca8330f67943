"""The certify pipeline as plain functions: version -> validate -> document -> certify.

The Airflow operators, the CLI and ``dvc.yaml`` all call these (see datavet.pipeline.run_all)."""

from datavet.stages.certify import certificate_summary, certify
from datavet.stages.common import (
    DATASHEET_FILES,
    EXACT_REPORT_FILE,
    REPORT_FILE,
    registry_for,
    staged_report,
    version_bytes,
)
from datavet.stages.document import changes_since_previous, document
from datavet.stages.validate import validate
from datavet.stages.version import VersionInfo, version

__all__ = ["DATASHEET_FILES", "EXACT_REPORT_FILE", "REPORT_FILE", "VersionInfo", "certificate_summary", "certify",
           "changes_since_previous", "document", "registry_for", "staged_report", "validate", "version",
           "version_bytes"]
