"""datavet's Great Expectations layer: two shared metrics and one expectation per check.

Importing this package registers every datavet metric and expectation with GX (GX registers a
class when its module is imported), which is why only ``run_checks``/``build_suite`` import it:
Airflow parses DAG files that import ``datavet.checks`` and should not pay for GX.
"""

import logging as _logging

from datavet.gx import expectations, metrics  # noqa: F401  (registration on import)

# GX pins one of its module loggers to INFO at import, which prints a line on every run whatever
# the application configured; let it inherit the level like every other logger.
_logging.getLogger("great_expectations.data_context.types.base").setLevel(_logging.NOTSET)
