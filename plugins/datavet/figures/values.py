"""How datavet reads a raw cell value: when it is missing, and what its group is called.

Both engines hand the figures the same raw values (Python ``None``, ``int``, ``float``, ``str``...),
so one definition here makes pandas and SQL agree exactly. The rule, from metrics.md: a value is
missing when it is null/NaN, or when its text, after stripping whitespace, is a configured token.
The text of a string is the string; the text of a number or a boolean is Python's ``str`` of it
(the SQL side turns each token into the one literal with that text, see ``literal_tokens``).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import decimal
import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as _pd

WHITESPACE = " \t\n\r\x0b\x0c"
NULL_TOKEN = "null"
MISSING_GROUP = "<missing>"


def plain(value: Any) -> Any:
    """A raw value as a plain Python scalar; every flavour of null/NaN becomes ``None``."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        with contextlib.suppress(ValueError, TypeError):
            value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, decimal.Decimal) and value.is_nan():
        return None
    import pandas as _pd  # here, not at import: the spec (and so DAG parsing) imports this module

    if value is _pd.NA or value is _pd.NaT:
        return None
    if isinstance(value, _pd.Timestamp):
        return value.to_pydatetime()
    return value


def text(value: Any) -> str:
    """The text a token is compared with (strings stripped; other values as Python prints them)."""
    if isinstance(value, str):
        return value.strip(WHITESPACE)
    return str(value)


def missing_token(value: Any, tokens: Iterable[str]) -> str | None:
    """Which token makes ``value`` missing (``"null"`` for null/NaN), or None if it is a value."""
    value = plain(value)
    if value is None:
        return NULL_TOKEN
    if isinstance(value, (_dt.date, _dt.datetime)):
        return None
    t = text(value)
    return t if t in (tokens if isinstance(tokens, (set, frozenset)) else set(tokens)) else None


def is_missing(value: Any, tokens: Iterable[str]) -> bool:
    return missing_token(value, tokens) is not None


class GroupNamer:
    """Group names of raw key values, decided once per distinct value (keys repeat across cells)."""

    def __init__(self, tokens: Iterable[str]) -> None:
        self.tokens = frozenset(tokens)
        self._names: dict[Any, str | None] = {}

    def __call__(self, value: Any) -> str | None:
        """The group name of ``value``, or None when it is missing."""
        try:
            return self._names[value]
        except KeyError:
            name = None if is_missing(value, self.tokens) else label(value)
            self._names[value] = name
            return name
        except TypeError:  # unhashable raw value: decide it directly
            return None if is_missing(value, self.tokens) else label(value)


def label(value: Any) -> str:
    """A group's name in the report: the raw value as text (not stripped: it is what the data says)."""
    value = plain(value)
    return str(value)


def literal_tokens(tokens: Iterable[str], kind: str) -> list[Any]:
    """Tokens a column of ``kind`` ('int', 'float', 'bool') can hold: the literals whose text is the token.

    ``"-1"`` matches the integer -1 but not the float -1.0 (whose text is ``"-1.0"``), exactly as
    comparing ``str(value)`` would; this keeps the per-row comparison in SQL/pandas vectorised.
    """
    out: list[Any] = []
    for token in tokens:
        try:
            if kind == "int":
                v: Any = int(token)
            elif kind == "float":
                v = float(token)
                if not math.isfinite(v):
                    continue
            elif kind == "bool":
                v = {"True": True, "False": False}[token]
            else:
                continue
        except (ValueError, KeyError):
            continue
        if str(v) == token:
            out.append(v)
    return out


def unique_tokens(tokens: Iterable[str]) -> list[str]:
    """Configured tokens, stripped, in order, without duplicates (a text token ``null`` is allowed:
    its cells are counted under ``null`` together with real nulls)."""
    seen: list[str] = []
    for t in tokens:
        t = t.strip(WHITESPACE)
        if t and t not in seen:
            seen.append(t)
    return seen


def missing_masks(series: _pd.Series, tokens: list[str]) -> list[np.ndarray]:
    """[null mask, one mask per token] of a column, vectorised (never a Python loop over rows)."""
    import numpy as np
    import pandas as _pd

    null = series.isna().to_numpy(dtype=bool)
    masks = [null]
    if not tokens:
        return masks
    dtype = series.dtype
    if _pd.api.types.is_bool_dtype(dtype):
        kind = "bool"
    elif _pd.api.types.is_integer_dtype(dtype):
        kind = "int"
    elif _pd.api.types.is_float_dtype(dtype):
        kind = "float"
    elif (_pd.api.types.is_string_dtype(dtype) or _pd.api.types.is_object_dtype(dtype)
          or isinstance(dtype, _pd.CategoricalDtype)):
        kind = "str"
    else:
        kind = "other"
    if kind == "str":
        text = series.astype(object).where(~null, "").astype(str).str.strip(WHITESPACE).to_numpy(dtype=object)
        masks.extend((text == t) & ~null for t in tokens)
        return masks
    for t in tokens:
        literals = literal_tokens([t], kind)
        masks.append(series.isin(literals).to_numpy(dtype=bool) & ~null if literals
                     else np.zeros(len(series), dtype=bool))
    return masks
