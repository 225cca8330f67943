"""The two shared metrics every datavet expectation derives its figures from (see datavet.figures.tables)."""

from datavet.gx.metrics.missing_counts import MissingCounts
from datavet.gx.metrics.value_counts import ValueCounts

__all__ = ["MissingCounts", "ValueCounts"]
