"""Every figure of metrics.md, derived from two count tables (value counts and missing counts).

Pure Python, no GX: the same code serves the pandas and the SQL engines, so both give the same
figures, and the functions can be tested against independent pandas/scipy computations.
"""

from datavet.figures.geography import geography
from datavet.figures.intersectional import intersectional
from datavet.figures.label_balance import label_balance
from datavet.figures.missingness import missingness, missingness_parity
from datavet.figures.outcome import Outcome
from datavet.figures.representation import representation

__all__ = ["Outcome", "geography", "intersectional", "label_balance", "missingness", "missingness_parity",
           "representation"]
