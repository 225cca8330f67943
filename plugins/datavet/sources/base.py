"""What every source kind provides: its columns, and the version it materialises.

A source turns what the spec names (a CSV file, a Parquet file or directory, a tree of files with a
label table, a database table) into a *version*: bytes in the registry's staging area whose DVC md5
is the version's identity. It streams: memory stays bounded whatever the number of rows or files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Protocol

if TYPE_CHECKING:  # pragma: no cover
    from datavet.settings import Settings
    from datavet.spec import LoadedSpec

TABLE_FILE = "table.parquet"  # inside a tree version: the table the checks read (one row per file)


@dataclass(frozen=True)
class Materialised:
    """A version as a source wrote it into staging.

    ``path`` is one Parquet file, or a directory (a tree version, kept as a DVC directory output);
    ``md5`` is what DVC records for it (a file's md5, or the ``<md5>.dir`` of a tree); ``table`` is
    the Parquet file (or directory of Parquet files) the engines read for the checks."""

    path: Path
    md5: str
    rows: int
    table: Path

    @property
    def is_tree(self) -> bool:
        return self.md5.endswith(".dir")


class Source(Protocol):
    """One module per kind in ``datavet.sources`` implements this."""

    kind: ClassVar[str]

    def __init__(self, loaded: LoadedSpec, settings: Settings) -> None: ...

    def columns(self) -> list[str]:
        """The columns of the table the checks will see, without reading the data."""
        ...

    def materialise(self, staging: Path) -> Materialised:
        """Write the version under ``staging`` (streaming, deterministic bytes) and return it.

        Raises a ``DataError`` naming the dataset, the column and the fix for bad input; leaves no
        partial output behind in ``staging``."""
        ...
