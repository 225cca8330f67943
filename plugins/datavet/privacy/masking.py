"""What may be published: counts below the spec's small-cell threshold become "<threshold" (and
their shares are withheld) so that rare groups cannot be singled out, and raw values of identifying
or sensitive columns are replaced by neutral labels before they reach any document.

The checks keep exact counts; only what is published is suppressed. A count of 0 is published as 0:
an empty group singles nobody out, and the checks name empty groups anyway.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from datavet.datasheet.models import Count
from datavet.privacy.rule import is_small

WITHHELD = "withheld"


def publish_count(n: int | str | None, threshold: int) -> Count:
    """The published form of a count (one the privacy layer withheld, "<k" or "withheld", as it is)."""
    if n is None:
        return Count(value=None, display="n/a", suppressed=False)
    if isinstance(n, str):
        return Count(value=None, display=n, suppressed=True)
    n = int(n)
    if is_small(n, threshold):
        return Count(value=None, display=f"<{threshold}", suppressed=True)
    return Count(value=n, display=f"{n:,}", suppressed=False)


def publish_share(n: int | str | None, share: float | None, threshold: int) -> float | None:
    """A share is withheld with its count: share x total would give the count back."""
    if share is None or is_small(n, threshold):
        return None
    return float(share)


class ValueMasker:
    """Replaces the raw values of private columns with "<column> group k" labels.

    Labels are numbered by descending count (ties by first appearance), so charts stay readable while
    no value text is published. The report already names a private column's groups ``group-k``, one
    numbering per validation for every check (datavet.privacy.names): ``group-k`` is always labelled
    "<column> group k", so a label means the same group in every section. Values of other columns
    pass through unchanged.
    """

    def __init__(self, private_columns: Iterable[str]) -> None:
        self.private = set(private_columns)
        self._maps: dict[str, dict[str, str]] = {}

    def is_private(self, *columns: str | None) -> bool:
        return any(c in self.private for c in columns if c)

    def learn(self, column: str, counts: Mapping[str, int | float]) -> None:
        if column not in self.private:
            return
        for value, _ in sorted(counts.items(), key=lambda kv: -_number(kv[1])):
            self.label(column, value)

    def label(self, column: str, value: object) -> str:
        text = str(value)
        if column not in self.private or text == "<missing>":
            return text
        mapping = self._maps.setdefault(column, {})
        if text not in mapping:
            opaque = _OPAQUE.match(text)
            if opaque:
                mapping[text] = f"{column} group {int(opaque.group(1))}"
            else:  # a raw value (from the data profile): numbered after every label given so far
                used = [int(label.rsplit(" ", 1)[1]) for label in mapping.values()]
                mapping[text] = f"{column} group {max(used, default=0) + 1}"
        return mapping[text]

    def combo(self, columns: list[str], key: str) -> str:
        """A "v1|v2" intersection key, each part masked by its own column."""
        parts = key.split("|")
        if len(parts) != len(columns):
            return WITHHELD if self.is_private(*columns) else " | ".join(parts)
        return " | ".join(self.label(c, v) for c, v in zip(columns, parts, strict=True))

    def known_values(self) -> dict[str, str]:
        """Every raw private value seen so far, mapped to its label."""
        return {raw: label for mapping in self._maps.values() for raw, label in mapping.items()}


_INT = re.compile(r"(?<![\w.,-])(\d+)(?![\w.,]|\.\d)")  # not the k of an opaque "group-k"
_OPAQUE = re.compile(r"^group-(\d+)$")


def _number(value: object) -> float:
    """A count as a sort key (a published "<10" sorts as small)."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0


def scrub_text(text: str, masker: ValueMasker, threshold: int) -> str:
    """Free text written by a check (its failure message) may quote a raw private value or a small
    count: replace known private values by their labels and small integers by "<threshold"."""
    # numbers first, so the digits of the labels put in below are left alone
    return mask_values(scrub_numbers(text, threshold), masker)


def scrub_numbers(text: str, threshold: int) -> str:
    """Small integers (not parts of words, decimals or "group-k" names) become "<threshold"."""
    return _INT.sub(lambda m: f"<{threshold}" if is_small(int(m.group(1)), threshold) else m.group(1), text)


def mask_values(text: str, masker: ValueMasker) -> str:
    """Known raw private values, as whole words, become their labels."""
    for raw, label in sorted(masker.known_values().items(), key=lambda kv: -len(kv[0])):
        if raw:  # whole values only: a one-letter code must not rewrite every word containing it
            text = re.sub(rf"(?<!\w){re.escape(raw)}(?!\w)", label, text)
    return text
