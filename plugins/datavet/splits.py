"""One split of a certified version: the rows whose split column names it.

Splits are, for now, a column of the version's table (``split`` by default: a manifest column or a
``labels_from_path`` group such as ``^(?P<split>train|validation|test)/``), the same column the
``leakage`` and ``split_shift`` checks compare. Asking for a split the version does not have is an
error that lists the ones it has.
"""

from __future__ import annotations

import pandas as pd

from datavet.errors import DataError

SPLIT_COLUMN = "split"


def select_split(df: pd.DataFrame, split: str | None, name: str, tag: str,
                 split_column: str = SPLIT_COLUMN) -> pd.DataFrame:
    """The rows of ``split`` (all rows for None), index renumbered; refuses an unknown split or column."""
    if split is None:
        return df
    if split_column not in df.columns:
        raise DataError(f"{tag} has no column {split_column!r}, so no split {split!r}", dataset=name,
                        column=split_column, fix="name the column holding each row's split with split_column=, "
                                                 "or load the whole version (split=None)")
    values = df[split_column].astype("string")
    chosen = values == split
    if not chosen.any():
        have = sorted(str(v) for v in values.dropna().unique())
        raise DataError(f"{tag} has no split {split!r} in column {split_column!r} (it has {have})", dataset=name,
                        column=split_column, fix=f"ask for one of {have}")
    return df[chosen.fillna(False).to_numpy()].reset_index(drop=True)
