"""What ML teams call: only certified bytes, checked against their certificate, ever come back."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from datavet.errors import NotCertifiedError
from datavet.fsutil import file_md5
from datavet.ingest import read_parquet
from datavet.registry import Registry, dvctree
from datavet.registry.store import committed_certificate, resolve_tag
from datavet.settings import Settings
from datavet.sources.base import TABLE_FILE


def load_certified(name: str, version: str | int | None = None, *, settings: Settings | None = None,
                   missing_as_null: bool = True, columns: list[str] | None = None, recoded: bool = False,
                   spec: Path | None = None, split: str | None = None, split_column: str = "split") -> pd.DataFrame:
    """Return the latest (or the named) certified version of ``name`` as a DataFrame.

    For a tree of files this is its label table (one row per file); ``open_certified`` gives the files.
    ``version``: None for the latest, a tag number, a tag, or an md5. The bytes read are hashed
    first and must equal the certificate's md5; uncertified or altered data is refused. With
    ``missing_as_null`` the dataset's missing tokens (e.g. ``?``) come back as nulls. With
    ``recoded`` the spec's ``values`` and ``bins`` are applied as the checks applied them (the rules
    of the spec the version was certified under: ``spec``, default the project's; datavet.recoded). ``split``: only
    the rows whose ``split_column`` is that split (datavet.splits).
    """
    settings = settings or Settings.from_env()
    registry = Registry.of(settings)
    tag = resolve_tag(registry, name, version)
    cert = committed_certificate(registry, name, tag)
    md5s = [cert.md5]
    if dvctree.is_tree(cert.md5):  # a tree of files: its label table (open_certified gives the files)
        from datavet.consume_files import certified_tree
        from datavet.sources.partitioned import folder_of, is_parts_listing

        entries = certified_tree(registry, name, tag)[2]
        if is_parts_listing(entries):  # a partitioned table: every part, in the order of its partition
            md5s = [e.md5 for e in sorted(entries, key=lambda e: folder_of(e.relpath))]
        else:
            md5s = [next(e.md5 for e in entries if e.relpath == TABLE_FILE)]
    paths = []
    for md5 in md5s:
        path = registry.bytes_path(md5)
        actual = file_md5(path)
        if actual != md5:
            raise NotCertifiedError(
                f"the bytes of {tag} hash to {actual} but were certified as {md5}; refusing altered data",
                dataset=name, fix="restore the data with `dvc pull` in the registry, or certify the new version")
        paths.append(path)
    path = paths[0] if len(paths) == 1 else paths
    from datavet.splits import select_split

    wanted = None if columns is None or split is None else list(dict.fromkeys([*columns, split_column]))
    df = select_split(read_parquet(path, columns=wanted), split, name, tag, split_column)  # integers exact
    if wanted is not None and split_column not in columns:
        df = df.drop(columns=[split_column])
    if missing_as_null and cert.missing_tokens:
        from datavet.figures.values import missing_masks

        for col in df.columns:  # the checks' own definition of "missing", column by column
            token_masks = missing_masks(df[col], list(cert.missing_tokens))[1:]
            if any(m.any() for m in token_masks):
                df[col] = df[col].mask(np.logical_or.reduce(token_masks))
    if recoded:
        from datavet.recoded import certified_rules, recode_frame

        df = recode_frame(df, certified_rules(cert, settings, spec))
    df.attrs["datavet"] = {"dataset": name, "md5": cert.md5, "tag": tag, "recoded": recoded}
    return df
