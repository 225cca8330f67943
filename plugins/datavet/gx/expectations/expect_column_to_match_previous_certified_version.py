"""ExpectColumnToMatchPreviousCertifiedVersion: the ``drift`` check."""

from __future__ import annotations

from typing import Any, ClassVar

from great_expectations.compatibility import pydantic

from datavet.checks.cells import by_columns
from datavet.checks.drift import NAME as DRIFT
from datavet.checks.drift import rate_drift, share_drift
from datavet.figures.outcome import Outcome
from datavet.gx.expectations.base import DatavetExpectation, value_counts_of


class ExpectColumnToMatchPreviousCertifiedVersion(DatavetExpectation):
    """Expect a column not to have drifted from the newest certified version of the dataset.

    Args:
        column: the attribute whose group shares are compared or, with ``by``, the label.
        by: the attribute, or a list of attributes, whose groups' positive rates are compared.
        positive: the label's positive value (with ``by``).
        max_tvd: largest allowed total variation distance between the two share vectors.
        max_rate_change: largest allowed absolute change of a group's positive rate.
        private: the column's values must not be published (groups get opaque names).
        private_by: the attributes of ``by`` whose values must not be published.
        previous: the previous certified version's exact figures as plain JSON, filled in by datavet
            on the suite in memory when it validates: ``{tag, md5, counts: {group: rows}}`` without
            ``by``, ``{tag, md5, cells: [[group values], rows, positives]}`` with it; absent for a first
            version (the expectation then passes with a note). The suite file keeps only a text naming
            the version (the exact counts may hold small cells), which fails with a clear message.

    Returns:
        ``observed_value``: previous_tag, counts / previous_counts, shares / previous_shares,
        share_changes and tvd; with ``by``: rows / previous_rows, positive_rates /
        previous_positive_rates, rate_changes, largest_rate_change and largest_change_group; both list
        the groups that appeared and disappeared.

    Example: Adult's race after every other Black row is dropped, against all of Adult certified
    before: TVD 0.0456, passes with ``max_tvd=0.05``, fails with ``max_tvd=0.01``.
    """

    column: str
    by: str | list[str] | None = None
    positive: str | None = None
    max_tvd: float | None = pydantic.Field(default=None, ge=0, le=1)
    max_rate_change: float | None = pydantic.Field(default=None, ge=0, le=1)
    private: bool = False
    private_by: list[str] | None = None
    previous: dict[str, Any] | str | None = None

    check: ClassVar[str] = DRIFT
    success_keys: ClassVar[tuple] = ("column", "by", "positive", "max_tvd", "max_rate_change", "missing_tokens",
                                     "private", "private_by", "previous")
    args_keys: ClassVar[tuple] = ("column", "by")

    def _table(self) -> tuple[str, dict[str, Any]]:
        return value_counts_of([*by_columns(self.by), self.column] if self.by is not None else [self.column])

    def _private(self) -> list[str]:
        if self.by is None:
            return [self.column] if self.private else []
        return [c for c in by_columns(self.by) if c in (self.private_by or [])]

    def _previous(self) -> dict[str, Any] | None:
        if isinstance(self.previous, str):  # the suite file, or a stored result of a private column
            raise ValueError(f"the previous certified version's figures are not in this suite ({self.previous}): "
                             "validate it with datavet (datavet check / the certify DAG), which fills them in")
        return self.previous

    def _outcome(self, table: dict[str, Any], names: dict[str, dict[str, str]]) -> Outcome:
        if self.by is None:
            return share_drift(table, self._tokens(), self._previous(), max_tvd=self.max_tvd, private=self.private,
                               names=names.get(self.column))
        by = by_columns(self.by)
        return rate_drift(table, self._tokens(), self.positive or "", self._previous(),
                          max_rate_change=self.max_rate_change, private=[c in (self.private_by or []) for c in by],
                          names=[names.get(c) for c in by])
