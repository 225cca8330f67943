"""datavet's shared metrics (see datavet.figures.tables): ``datavet.count_tables`` answers a whole
validation's plan at once; the per-table ``datavet.value_counts`` and ``datavet.missing_counts``
serve engines that have no provider of it."""

from datavet.gx.metrics.count_tables import CountTables
from datavet.gx.metrics.missing_counts import MissingCounts
from datavet.gx.metrics.value_counts import ValueCounts

__all__ = ["CountTables", "MissingCounts", "ValueCounts"]
