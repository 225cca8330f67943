"""A tree's manifest (one row of labels per file), read by the table sources themselves (CSV or
Parquet, ``datavet.sources``), so its ``format``/``options`` keys mean what they mean for
``source.path`` and its values and types are those a table version of it would hold."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from datavet.errors import DataError
from datavet.spec import ChecksSpec, LoadedSpec, SourceSpec

if TYPE_CHECKING:  # pragma: no cover
    from datavet.settings import Settings


def _as_table(loaded: LoadedSpec) -> LoadedSpec:
    """The spec as if the manifest were its table source. The table source checks that the spec's
    columns exist; the manifest holds only some of them (the rest are file facts and path labels),
    so the tree's table is checked once it is joined."""
    spec = loaded.spec
    manifest = spec.source.manifest
    assert manifest is not None
    source = SourceSpec(path=manifest.path, format=manifest.format, options=manifest.options)
    return loaded.model_copy(update={"spec": spec.model_copy(update={"source": source, "columns": {},
                                                                     "checks": ChecksSpec()})})


def read_manifest(loaded: LoadedSpec, settings: Settings, *, header_only: bool = False) -> pd.DataFrame:
    """The manifest as a DataFrame (``header_only``: its columns, no rows). Errors name the manifest."""
    from datavet.sources import source_for

    table = _as_table(loaded)
    try:
        source = source_for(table, settings)
        if header_only:
            return pd.DataFrame(columns=source.columns())
        with tempfile.TemporaryDirectory(prefix="datavet-manifest-") as tmp:
            from datavet.ingest import read_parquet

            return read_parquet(source.materialise(Path(tmp)).table)
    except DataError as exc:
        raise DataError(f"manifest: {exc.message}", dataset=loaded.spec.name, column=exc.column,
                        fix=(exc.fix or "").replace("source.", "source.manifest.")) from None
