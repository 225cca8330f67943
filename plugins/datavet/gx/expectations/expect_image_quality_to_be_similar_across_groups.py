"""ExpectImageQualityToBeSimilarAcrossGroups: the ``image_quality`` check."""

from __future__ import annotations

from typing import Any, ClassVar

from great_expectations.compatibility import pydantic

from datavet.checks.image_quality import NAME as IMAGE_QUALITY
from datavet.checks.image_quality import TABLE_COLUMNS, image_quality
from datavet.figures.outcome import Outcome
from datavet.gx.expectations.base import DatavetExpectation, value_counts_of


class ExpectImageQualityToBeSimilarAcrossGroups(DatavetExpectation):
    """Expect the images of each group to be as bright, contrasted, sharp and large as the others'.

    Args:
        by: the protected attribute whose groups are compared.
        facts: the image facts compared (width, height, aspect, luma_mean, contrast, sharpness,
            grayscale); default all.
        max_smd: largest standardized mean difference of a fact between two groups.
        max_exif_gps_files: images whose EXIF holds a GPS position (a privacy finding).
        by_is_private: the attribute's values must not be published (groups get opaque names).

    Returns:
        ``observed_value``: images, rows (per group), means and spreads (per group, per fact), smd and
        smd_groups (per fact), largest_smd, largest_smd_fact, exif_gps_files.

    Example: FairFace validation by race: sharpness differs between groups by an SMD of about 0.2;
    passes with ``max_smd=0.5``, fails with ``max_smd=0.05``.
    """

    by: str
    facts: list[str] | None = None
    max_smd: float | None = pydantic.Field(default=None, ge=0)
    max_exif_gps_files: int | None = pydantic.Field(default=None, ge=0)
    by_is_private: bool = False

    check: ClassVar[str] = IMAGE_QUALITY
    success_keys: ClassVar[tuple] = ("by", "facts", "max_smd", "max_exif_gps_files", "missing_tokens",
                                     "by_is_private")
    args_keys: ClassVar[tuple] = ("by",)

    def _table(self) -> tuple[str, dict[str, Any]]:
        return value_counts_of([self.by, *TABLE_COLUMNS])

    def _private(self) -> list[str]:
        return [self.by] if self.by_is_private else []

    def _outcome(self, table: dict[str, Any], names: dict[str, dict[str, str]]) -> Outcome:
        return image_quality(table, self._tokens(), self.facts, max_smd=self.max_smd,
                             max_exif_gps_files=self.max_exif_gps_files, private_by=self.by_is_private,
                             by_names=names.get(self.by))
