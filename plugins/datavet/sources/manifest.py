"""A tree's manifest (one row of labels per file), read by the same reader as table sources, so its
``format``/``options`` keys mean what they mean for ``source.path``."""

from __future__ import annotations

import pandas as pd

from datavet.errors import DataError
from datavet.spec import ChecksSpec, LoadedSpec, SourceSpec


def read_manifest(loaded: LoadedSpec, *, header_only: bool = False) -> pd.DataFrame:
    """The manifest as a DataFrame (``header_only``: no rows). Errors name the manifest's keys."""
    from datavet.ingest import read_source

    spec = loaded.spec
    manifest = spec.source.manifest
    assert manifest is not None
    options = {**manifest.options, **({"nrows": 0} if header_only and manifest.resolved_format == "csv" else {})}
    as_table = SourceSpec(path=manifest.path, format=manifest.format, options=options)
    # the reader checks the spec's columns exist; the manifest holds only some of them (the rest are
    # file facts and path labels), so the table's columns are checked once it is joined
    shim = loaded.model_copy(update={"spec": spec.model_copy(update={"source": as_table, "columns": {},
                                                                     "checks": ChecksSpec()})})
    try:
        df = read_source(shim)
    except DataError as exc:
        raise DataError(f"manifest: {exc.message}", dataset=spec.name, column=exc.column,
                        fix=(exc.fix or "").replace("source.", "source.manifest.")) from None
    return df.head(0) if header_only else df
