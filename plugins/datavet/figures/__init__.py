"""What every check's figures share: count tables (tables), values and missing tokens (values),
opaque names of private groups (privacy), distribution comparisons (distribution) and the Outcome a
figure function returns (outcome). Each check's own figures live in its module in datavet.checks.

Pure Python, no GX: the same code serves every engine, so all give the same figures, and the
functions can be tested against independent pandas/scipy computations.
"""

from datavet.figures.outcome import Outcome

__all__ = ["Outcome"]
