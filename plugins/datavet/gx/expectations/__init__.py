"""One expectation per datavet check (importing this package registers them with GX)."""

from datavet.gx.expectations.expect_column_geography_to_be_diverse import ExpectColumnGeographyToBeDiverse
from datavet.gx.expectations.expect_column_missingness_parity_across_groups import (
    ExpectColumnMissingnessParityAcrossGroups,
)
from datavet.gx.expectations.expect_column_missingness_to_be_below import ExpectColumnMissingnessToBeBelow
from datavet.gx.expectations.expect_column_representation_to_match_reference import (
    ExpectColumnRepresentationToMatchReference,
)
from datavet.gx.expectations.expect_intersectional_cells_to_have_min_count import (
    ExpectIntersectionalCellsToHaveMinCount,
)
from datavet.gx.expectations.expect_label_balance_across_groups import ExpectLabelBalanceAcrossGroups

BY_CHECK = {cls.check: cls for cls in (
    ExpectColumnMissingnessToBeBelow, ExpectColumnMissingnessParityAcrossGroups,
    ExpectColumnRepresentationToMatchReference, ExpectIntersectionalCellsToHaveMinCount,
    ExpectColumnGeographyToBeDiverse, ExpectLabelBalanceAcrossGroups)}

__all__ = ["BY_CHECK", "ExpectColumnGeographyToBeDiverse", "ExpectColumnMissingnessParityAcrossGroups",
           "ExpectColumnMissingnessToBeBelow", "ExpectColumnRepresentationToMatchReference",
           "ExpectIntersectionalCellsToHaveMinCount", "ExpectLabelBalanceAcrossGroups"]
