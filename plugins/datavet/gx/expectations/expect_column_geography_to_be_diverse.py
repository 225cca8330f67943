"""ExpectColumnGeographyToBeDiverse: the ``geography`` check."""

from __future__ import annotations

from typing import Any, ClassVar

from great_expectations.compatibility import pydantic

from datavet.checks.geography import NAME as GEOGRAPHY
from datavet.checks.geography import geography
from datavet.figures.outcome import Outcome
from datavet.gx.expectations.base import DatavetExpectation, value_counts_of
from datavet.references import reference_shares


class ExpectColumnGeographyToBeDiverse(DatavetExpectation):
    """Expect the rows not to be concentrated in a few countries, and to resemble a reference population.

    Values (names, alpha-2 or alpha-3 codes) are resolved to ISO 3166-1 alpha-3 once per distinct value.

    Args:
        column: the geography column.
        reference: {ISO3: share} or a shipped reference name such as ``world_population``; optional.
        max_top1_share, max_hhi, min_effective_countries, min_regions, max_tvd, min_resolved_share:
            limits on the figures of the same names (regions_present for min_regions).
        min_reference_share, min_ratio: a country with at least this reference share whose ratio is
            below ``min_ratio`` is ``underrepresented`` (and fails the check).
        private: the column's values must not be published (countries get opaque names).
        aliases: {value: ISO3} tried before the built-in rules (datavet.geo.countries.resolve).
        us_postal_codes: two-letter values are US state postal codes (USA), not ISO alpha-2 codes.

    Returns:
        ``observed_value``: resolved_share, unresolved_values, counts, shares, distinct_countries,
        top1_country, top1_share, top5_share, hhi, effective_countries, region_counts, region_shares,
        regions_present
        and, with a reference, reference_shares, tvd, ratios, underrepresented.

    Example: Adult's native-country (USA 91.2 % of resolved rows): passes with ``max_top1_share=0.95``,
    fails with ``max_top1_share=0.5``.
    """

    column: str
    reference: dict[str, float] | str | None = None
    max_top1_share: float | None = pydantic.Field(default=None, ge=0, le=1)
    max_hhi: float | None = pydantic.Field(default=None, ge=0, le=1)
    min_effective_countries: float | None = pydantic.Field(default=None, ge=0)
    min_regions: int | None = pydantic.Field(default=None, ge=0)
    max_tvd: float | None = pydantic.Field(default=None, ge=0, le=1)
    min_resolved_share: float | None = pydantic.Field(default=None, ge=0, le=1)
    min_reference_share: float = pydantic.Field(default=0.01, ge=0, le=1)
    min_ratio: float | None = pydantic.Field(default=None, ge=0)
    private: bool = False
    aliases: dict[str, str] | None = None
    us_postal_codes: bool = False

    check: ClassVar[str] = GEOGRAPHY
    success_keys: ClassVar[tuple] = ("column", "reference", "max_top1_share", "max_hhi", "min_effective_countries",
                                     "min_regions", "max_tvd", "min_resolved_share", "min_reference_share",
                                     "min_ratio", "missing_tokens", "private", "aliases", "us_postal_codes")
    args_keys: ClassVar[tuple] = ("column", "reference")

    def _table(self) -> tuple[str, dict[str, Any]]:
        return value_counts_of([self.column])

    def _private(self) -> list[str]:
        return [self.column] if self.private else []

    def _outcome(self, table: dict[str, Any], names: dict[str, dict[str, str]]) -> Outcome:
        return geography(table, self._tokens(), reference=reference_shares(self.reference),
                         max_top1_share=self.max_top1_share, max_hhi=self.max_hhi,
                         min_effective_countries=self.min_effective_countries, min_regions=self.min_regions,
                         max_tvd=self.max_tvd, min_resolved_share=self.min_resolved_share,
                         min_reference_share=self.min_reference_share, min_ratio=self.min_ratio,
                         private=self.private, names=names.get(self.column), aliases=self.aliases,
                         us_postal_codes=self.us_postal_codes)
