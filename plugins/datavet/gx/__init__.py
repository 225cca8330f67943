"""datavet's Great Expectations layer: two shared metrics and one expectation per check.

Importing this package registers every datavet metric and expectation with GX (GX registers a
class when its module is imported), which is why only ``run_checks``/``build_suite`` import it:
Airflow parses DAG files that import ``datavet.checks`` and should not pay for GX.
"""

from datavet.gx import expectations, metrics  # noqa: F401  (registration on import)
