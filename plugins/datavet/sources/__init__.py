"""Sources: where a dataset comes from and how it becomes a version. Chosen by the spec's ``source``
block in one place (:func:`source_for`); each kind is one module, imported only when used."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from datavet.sources.base import TABLE_FILE, Materialised, Source

if TYPE_CHECKING:  # pragma: no cover
    from datavet.settings import Settings
    from datavet.spec import LoadedSpec

SOURCES: dict[str, str] = {
    "csv": "datavet.sources.csv:CsvSource",
    "parquet": "datavet.sources.parquet:ParquetSource",
    "files": "datavet.sources.files:FilesSource",
    "sql": "datavet.sources.sql:SqlSource",
    "splits": "datavet.sources.splits:SplitsSource",
}


def source_kind(loaded: LoadedSpec) -> str:
    """csv | parquet | files | sql | splits, from the spec's source block (a directory with no format given
    is a directory of Parquet files)."""
    source = loaded.spec.source
    if source.kind != "table":
        return source.kind
    if source.format is None and loaded.source_path.is_dir():
        return "parquet"
    return source.resolved_format


def source_for(loaded: LoadedSpec, settings: Settings) -> Source:
    module, _, cls = SOURCES[source_kind(loaded)].partition(":")
    return getattr(importlib.import_module(module), cls)(loaded, settings)


__all__ = ["SOURCES", "TABLE_FILE", "Materialised", "Source", "source_for", "source_kind"]
