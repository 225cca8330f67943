"""What is in one text (a table cell or a text file): its length and the Unicode scripts of its letters.

Definitions (docs/checks.md, ``text_quality``):

- ``length``: characters (Unicode code points) of the text as stored;
- ``scripts``: the text's letters (Unicode general category L*) counted by script, the script read
  from the letter's Unicode name (``unicodedata``): the first of its words that names a script
  (``LATIN``, ``CYRILLIC``, ``GREEK``, ``ARABIC``, ``HEBREW``, ``DEVANAGARI``, ``HANGUL``, ``HIRAGANA``,
  ``KATAKANA``, ...; ``CJK`` is Han), so ``FULLWIDTH LATIN CAPITAL LETTER A`` is Latin; a letter whose
  name names none is ``Other``. Digits, spaces, punctuation and symbols belong to no script.
"""

from __future__ import annotations

import codecs
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

TEXT_COLUMNS = ["text_chars", "text_scripts"]
BLOCK = 1 << 20  # bytes read at a time from a text file
SCRIPT_WORDS = {
    "LATIN": "Latin", "CYRILLIC": "Cyrillic", "GREEK": "Greek", "ARMENIAN": "Armenian", "HEBREW": "Hebrew",
    "ARABIC": "Arabic", "SYRIAC": "Syriac", "THAANA": "Thaana", "DEVANAGARI": "Devanagari", "BENGALI": "Bengali",
    "GURMUKHI": "Gurmukhi", "GUJARATI": "Gujarati", "ORIYA": "Oriya", "TAMIL": "Tamil", "TELUGU": "Telugu",
    "KANNADA": "Kannada", "MALAYALAM": "Malayalam", "SINHALA": "Sinhala", "THAI": "Thai", "LAO": "Lao",
    "TIBETAN": "Tibetan", "MYANMAR": "Myanmar", "GEORGIAN": "Georgian", "HANGUL": "Hangul", "ETHIOPIC": "Ethiopic",
    "CHEROKEE": "Cherokee", "KHMER": "Khmer", "MONGOLIAN": "Mongolian", "HIRAGANA": "Hiragana",
    "KATAKANA": "Katakana", "BOPOMOFO": "Bopomofo", "CJK": "Han", "YI": "Yi", "CANADIAN": "Canadian Aboriginal",
    "OGHAM": "Ogham", "RUNIC": "Runic", "TIFINAGH": "Tifinagh", "NKO": "NKo", "VAI": "Vai", "JAVANESE": "Javanese",
    "BALINESE": "Balinese", "SUNDANESE": "Sundanese", "TAGALOG": "Tagalog", "COPTIC": "Coptic",
    "GLAGOLITIC": "Glagolitic",
}
OTHER = "Other"


@lru_cache(maxsize=65536)
def script_of(char: str) -> str | None:
    """The script of one character, None for a character that is not a letter."""
    if not unicodedata.category(char).startswith("L"):
        return None
    for word in unicodedata.name(char, "").replace("-", " ").split():
        if word in SCRIPT_WORDS:
            return SCRIPT_WORDS[word]
    return OTHER


@dataclass(frozen=True)
class TextFacts:
    length: int
    scripts: dict[str, int]  # letters per script

    def row(self) -> tuple:
        """The values of ``TEXT_COLUMNS``: the scripts as one sortable string ("Cyrillic:3,Latin:12")."""
        return (self.length, format_scripts(self.scripts))


def text_facts(text: str) -> TextFacts:
    counts = Counter(script_of(c) for c in text)
    counts.pop(None, None)
    return TextFacts(len(text), dict(sorted(counts.items())))


def file_text_facts(path: Path) -> TextFacts:
    """The facts of a UTF-8 text file, read a block at a time (a huge file costs no more memory than a
    block); not UTF-8: ``UnicodeDecodeError``."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    length, counts = 0, Counter()
    with open(path, "rb") as fh:
        while True:
            block = fh.read(BLOCK)
            text = decoder.decode(block, final=not block)
            length += len(text)
            counts.update(script_of(c) for c in text)
            if not block:
                break
    counts.pop(None, None)
    return TextFacts(length, dict(sorted(counts.items())))


def format_scripts(scripts: dict[str, int]) -> str:
    return ",".join(f"{name}:{n}" for name, n in sorted(scripts.items()))


def parse_scripts(text: str | None) -> dict[str, int]:
    """``format_scripts`` read back ("" and None: no letters)."""
    if not text:
        return {}
    return {name: int(n) for name, _, n in (part.rpartition(":") for part in text.split(","))}
