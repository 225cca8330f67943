"""``datavet check`` as a function: the spec's checks on its source, without making a version.

It reads the source exactly as ``datavet certify`` does and refuses what certify refuses (the same
role-column and reference checks), so a spec that passes here does not fail certification over its
input; only the registry is left alone. The CLI and notebooks call :func:`audit`.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from datavet.report import CheckReport
from datavet.settings import Settings
from datavet.spec import LoadedSpec

if TYPE_CHECKING:
    from datavet.sources import Materialised


@dataclass(frozen=True)
class Audit:
    """What a check run found, and the bytes it checked: ``version`` is None for a database table
    audited in place, and its files live only as long as the workspace they were read into."""

    report: CheckReport
    version: Materialised | None

    @property
    def md5(self) -> str | None:
        return self.version.md5 if self.version is not None else None


def audit(loaded: LoadedSpec, settings: Settings, *, engine: str | None = None) -> Audit:
    """Run the spec's checks on its source; ``engine`` is the CLI's ``--engine`` (None: the spec's, the
    settings', then DuckDB). Bad input raises a ``DatavetError`` before any check runs."""
    with tempfile.TemporaryDirectory(prefix="datavet-check-") as tmp:
        return audit_in(Path(tmp), loaded, settings, engine=engine)


def audit_in(workspace: Path, loaded: LoadedSpec, settings: Settings, *, engine: str | None = None,
             in_place: bool = True) -> Audit:
    """:func:`audit`, reading the source into ``workspace`` (the caller's to remove). ``in_place=False``
    reads a database table into a Parquet version too, for what needs its bytes (the datasheet)."""
    from datavet.checks import run_checks
    from datavet.engines import engine_name
    from datavet.references import check_references

    check_references(loaded)
    chosen = engine_name(cli=engine, spec=loaded.spec.engine, settings=settings)
    source = loaded.spec.source
    if in_place and chosen == "sql" and source.kind == "sql":  # the table audited where it is: no version
        return Audit(run_checks(loaded, None, settings=settings, engine="sql"), None)
    version = _materialised(loaded, settings, chosen, workspace)
    if chosen == "pandas":
        import pandas as pd

        from datavet.ingest import read_parquet

        data: Path | pd.DataFrame = read_parquet(version.table)
    else:
        data = version.table
    report = run_checks(loaded, data, data_hash=version.md5, settings=settings, engine=engine or "auto")
    if source.has_files:  # a tree of files: its label table, and the files check
        from datavet.checks.registry import with_version_checks

        report = with_version_checks(loaded, {"tree": version.integrity}, report)
    return Audit(report, version)


def _materialised(loaded: LoadedSpec, settings: Settings, engine: str, tmp: Path) -> Materialised:
    """The source as the version would hold it; a plain Parquet file is audited where it lies, out of
    core, after the same readability and usability checks."""
    from datavet.ingest import is_parquet
    from datavet.sources import source_for
    from datavet.sources.parquet import ParquetSource
    from datavet.sources.roles import check_usable

    source = source_for(loaded, settings)
    given = loaded.source_path if loaded.spec.source.kind == "table" else None
    if isinstance(source, ParquetSource) and given.is_file() and is_parquet(given) and engine != "pandas":
        version = source.in_place()
    else:  # read exactly as `datavet certify` reads it
        version = source.materialise(tmp / "version" if loaded.spec.source.kind in ("files", "splits") else tmp)
    check_usable(loaded, version, settings)  # what certify refuses, check refuses
    return version
