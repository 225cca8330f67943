"""datavet's Great Expectations layer: two shared metrics and one expectation per check type.

Importing this package registers every datavet metric and expectation with GX (GX registers a
class when its module is imported): the expectations are those the check registry names, so a new
check type's expectation is registered by its registry line. Only ``run_checks``/``build_suite``
import this package: Airflow parses DAG files that import ``datavet.checks`` and should not pay for GX.
"""

import importlib as _importlib
import logging as _logging

from datavet import gx_preload as _preload

_preload.wait()  # an import of GX begun ahead (datavet certify) finishes before this one starts
_preload.quiet_gx()

from datavet.checks.registry import CHECKS as _CHECKS  # noqa: E402
from datavet.gx import metrics  # noqa: E402, F401  (registration on import)

for _check in _CHECKS.values():
    if _check.in_gx:
        _importlib.import_module(_check.expectation_module)

# GX pins one of its module loggers to INFO at import, which prints a line on every run whatever
# the application configured; let it inherit the level like every other logger.
_logging.getLogger("great_expectations.data_context.types.base").setLevel(_logging.NOTSET)
