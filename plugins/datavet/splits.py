"""One split of a certified version: the rows whose split column names it.

Splits are a column of the version's table (``split`` by default: the column a ``source.splits``
version adds, a manifest column or a ``labels_from_path`` group such as
``^(?P<split>train|validation|test)/``), the same column the ``leakage`` and ``split_shift`` checks
compare. A ``source.splits`` version also keeps each split as a member of its own
(datavet.sources.splits). Asking for a split the version does not have is an error that lists the
ones it has.
"""

from __future__ import annotations

import pandas as pd

from datavet.errors import DataError

SPLIT_COLUMN = "split"


def default_split_column(spec) -> str | None:
    """The column the split checks compare when the spec names none: a splits source's ``split``."""
    return SPLIT_COLUMN if spec.source.kind == "splits" else None


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


def split_member(registry, entries: list, split: str | None, name: str, tag: str) -> str | None:
    """The relpath of ``split``'s table in a ``source.splits`` tree version (``train.parquet``, or
    ``train/table.parquet`` for a tree split); None when the version is not a splits version or no
    split is asked for. The listing is read from its cached object, its md5 checked first."""
    from datavet.errors import NotCertifiedError
    from datavet.fsutil import file_md5
    from datavet.sources.base import TABLE_FILE
    from datavet.sources.splits import SPLITS_FILE, read_listing

    listed = next((e for e in entries if e.relpath == SPLITS_FILE), None)
    if listed is None or split is None:
        return None
    path = registry.bytes_path(listed.md5)
    if file_md5(path) != listed.md5:
        raise NotCertifiedError(f"{SPLITS_FILE} of {tag} was altered in the DVC cache ({path})", dataset=name,
                                fix="restore it with `dvc fetch` in the registry")
    members = {s: m["member"] for s, m in read_listing(path.read_bytes())["splits"].items()}
    if split not in members:
        raise DataError(f"{tag} has no split {split!r} (it has {sorted(members)})", dataset=name,
                        column=SPLIT_COLUMN, fix=f"ask for one of {sorted(members)}")
    member = members[split]
    return member + TABLE_FILE if member.endswith("/") else member
