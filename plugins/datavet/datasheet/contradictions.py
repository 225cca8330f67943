"""Human answers that disagree with the computed figures ("no missing values" while C6 counts some).

The answer stays as written (a person attested it); the disagreement is flagged beside it in every
document and returned as data, so a reviewer decides which side is wrong. The phrase lists are
deliberately narrow: a false alarm on a careful answer costs more trust than a missed vague one.
"""

from __future__ import annotations

import re

from datavet.datasheet.models import Contradiction
from datavet.privacy.masking import publish_count

_NO_MISSING = re.compile(
    r"\b(no|without|zero|nothing|none)\s+(?:of\s+the\s+)?(?:values?\s+|information\s+|data\s+|cells?\s+)?"
    r"(?:is\s+|are\s+)?(missing|null|nulls|empty|unknown)\b"
    r"|\bno\s+(?:values?|information|data|cells?|fields?)\s+(?:is|are)\s+missing\b"
    r"|\b(?:is|are)\s+complete(?:ly\s+filled)?\b(?!\s+except)",
    re.IGNORECASE)
_NO_DUPLICATES = re.compile(
    r"\b(no|without|zero|free\s+of)\s+(?:exact\s+|known\s+)?(duplicat\w*|redundan\w*|repeated\s+rows?)"
    r"|\b(?:does|do)\s+not\s+(?:contain|have|include)\s+(?:any\s+)?(?:exact\s+)?duplicat\w*",
    re.IGNORECASE)
_COUNT = re.compile(r"(\d{1,3}(?:[,\u202f\u00a0 ]\d{3})+|\d+)\s+(?:\w+\s+)?"
                    r"(instances|rows|records|examples|people|persons|individuals|entries)\b", re.IGNORECASE)


# (prompt, phrase claiming there are none, the figure that counts them, the flag's message)
_CLAIMS_OF_NONE = (
    ("C6", _NO_MISSING, "missing_cells",
     "the answer says nothing is missing but the checks count {shown} missing cells"),
    ("C9", _NO_DUPLICATES, "duplicate_rows",
     "the answer says there are no duplicates but {shown} rows repeat an earlier row"),
)


def _sentence(text: str, start: int, end: int) -> str:
    """The sentence around a match, so the flag quotes the claim in context."""
    left = max(text.rfind(".", 0, start), text.rfind("\n", 0, start)) + 1
    right_candidates = [i for i in (text.find(".", end), text.find("\n", end)) if i != -1]
    right = min(right_candidates) + 1 if right_candidates else len(text)
    return " ".join(text[left:right].split())


def _int(text: str) -> int:
    return int(re.sub(r"\D", "", text))


def find_contradictions(answers: dict[str, str], *, rows: int, missing_cells: int | str | None,
                        duplicate_rows: int, threshold: int) -> list[Contradiction]:
    """Compare the prose of C2, C6 and C9 with the figures; ``answers`` maps prompt id to text."""
    found: list[Contradiction] = []
    c2 = answers.get("C2")
    if c2:
        stated = [(m, _int(m.group(1))) for m in _COUNT.finditer(c2)]
        if stated and all(n != rows for _, n in stated):
            m = stated[0][0]
            found.append(Contradiction(
                prompt="C2", statement=_sentence(c2, m.start(), m.end()), figure=f"rows = {rows:,}",
                message=f"the answer states {stated[0][1]:,} instances but this version has {rows:,} rows"))
    figures = {"missing_cells": missing_cells, "duplicate_rows": duplicate_rows}
    for prompt, phrase, figure, message in _CLAIMS_OF_NONE:
        text, value = answers.get(prompt), figures[figure]
        match = phrase.search(text) if text and value else None
        if match:
            shown = publish_count(value, threshold).display
            found.append(Contradiction(prompt=prompt, statement=_sentence(text, match.start(), match.end()),
                                       figure=f"{figure} = {shown}", message=message.format(shown=shown)))
    return found
