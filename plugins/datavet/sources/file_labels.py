"""The labels of a tree of files: typed by the spec, and compared between files with equal bytes.

A column's ``type:`` casts what paths and manifests give.
A label read from a file name is text (``"26"`` in ``26_1_0_x.jpg``), so ``bins`` on it would be
refused; a manifest's column is whatever its reader inferred. The spec's ``type:`` says what the
labels are, and every value must cast: a label that does not (``"2x"`` as an integer) stops the
version stage naming the column, a file and the value, instead of becoming a silent null.
Integers are nullable ``Int64`` (exact, never floats); an empty label stays missing.

Two files with the same bytes labelled differently (``10_1_1`` and ``14_1_0``) are a label conflict:
at most one of the labels is right, and a model trained on both learns noise.
"""

from __future__ import annotations

import decimal
from typing import Any

import pandas as pd

from datavet.errors import DataError

TRUE = {"true", "1", "yes", "y", "t"}
FALSE = {"false", "0", "no", "n", "f"}


def _text(series: pd.Series) -> pd.Series:
    """Each value's text, stripped; nulls and empty strings stay missing (None)."""
    def one(v: Any) -> str | None:
        if v is None or (not isinstance(v, str) and pd.isna(v)):
            return None
        t = str(v).strip()
        return t or None

    return series.map(one).astype(object)


def _integer(text: str) -> int:
    """Exact: "26", "+26", "26.0" and a 17-digit id all cast without passing through a float."""
    try:
        number = decimal.Decimal(text)
    except decimal.InvalidOperation:
        raise ValueError(text) from None
    if not number.is_finite() or number != number.to_integral_value():
        raise ValueError(text)
    return int(number)


def _boolean(text: str) -> bool:
    low = text.lower()
    if low in TRUE:
        return True
    if low in FALSE:
        return False
    raise ValueError(text)


CASTS = {"integer": (_integer, "Int64"), "number": (float, "Float64"), "boolean": (_boolean, "boolean")}


def cast_labels(frame: pd.DataFrame, types: dict[str, str], dataset: str, where: str,
                private: set[str] | frozenset[str] = frozenset()) -> pd.DataFrame:
    """``frame`` (indexed by file) with each column named in ``types`` cast; ``where`` says where the
    labels came from (e.g. "labels_from_path") for the error, which names no value or file of a
    ``private`` (identifying or sensitive) column."""
    out = frame.copy()
    for column, kind in types.items():
        if column not in out.columns:
            continue
        text = _text(out[column])
        if kind == "string":
            out[column] = pd.array(text.tolist(), dtype="string")
            continue
        convert, dtype = CASTS[kind]
        values: list[Any] = []
        for file, value in text.items():
            try:
                values.append(None if value is None else convert(value))
            except (ValueError, OverflowError):
                said = (f"a {column} value of a file" if column in private
                        else f"{column} = {value!r} for {file}")
                raise DataError(f"{where} gives {said}, which is not {_a(kind)}",
                                dataset=dataset, column=column,
                                fix=f"correct the label, or change columns.{column}.type (integer, number, "
                                    "string or boolean)") from None
        out[column] = pd.array(values, dtype=dtype)
    return out


def _a(kind: str) -> str:
    return {"integer": "an integer", "number": "a number", "boolean": "a boolean (true/false, 1/0, yes/no)"}[kind]


def label_conflicts(table: pd.DataFrame, label_columns: list[str]) -> list[dict[str, Any]]:
    """Files whose bytes equal an earlier file's (by md5, in the table's order) but whose labels
    differ from it: one entry per such file, naming the columns that differ (not their values)."""
    if not label_columns:
        return []
    first: dict[str, int] = {}
    out: list[dict[str, Any]] = []
    md5s = table["file_md5"].tolist()
    labels = table[label_columns]
    for i, md5 in enumerate(md5s):
        if md5 not in first:
            first[md5] = i
            continue
        j = first[md5]
        differ = [c for c in label_columns if not _same(labels[c].iat[i], labels[c].iat[j])]
        if differ:
            out.append({"file": table["file"].iat[i], "same_as": table["file"].iat[j], "columns": differ})
    return out


def _same(a: Any, b: Any) -> bool:
    a_missing, b_missing = pd.isna(a), pd.isna(b)
    if a_missing or b_missing:
        return bool(a_missing and b_missing)
    return bool(a == b)
