"""A Parquet file, or a directory of Parquet files read as one dataset, as a version (one Parquet file).

A directory is read the way Hive, Spark and ``pyarrow.dataset`` write one: every ``*.parquet`` (or
``*.pq``) file below it, in the order of their paths, hidden files (``.x``, ``_SUCCESS``) left out;
``key=value`` folders become a text column ``key`` (the value as the path spells it, URL-decoded,
``__HIVE_DEFAULT_PARTITION__`` as null); files whose columns differ are read by name. The version holds
the same types a CSV version does (int64, float64, text; booleans, dates and timestamps kept), so a
dataset certifies the same whether it arrives as CSV, one Parquet file or a partitioned directory.
"""

from __future__ import annotations

import stat
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from datavet.errors import DataError
from datavet.sources.base import TABLE_FILE, Materialised
from datavet.sources.table import (
    PATH_FIX,
    check_columns_exist,
    connect,
    environment_error,
    literal,
    quote,
    read_errors,
    require_file,
    version_type,
    write_version,
)

if TYPE_CHECKING:  # pragma: no cover
    from datavet.settings import Settings
    from datavet.spec import LoadedSpec

SUFFIXES = (".parquet", ".pq")
READ_FIX = "check source.format and source.options"


def parquet_files(directory: Path) -> list[Path]:
    """The data files of a Parquet directory, in a deterministic order (their relative paths)."""
    found = []
    for path in directory.rglob("*"):
        parts = path.relative_to(directory).parts
        if path.is_file() and path.suffix.lower() in SUFFIXES and not any(p[0] in "._" for p in parts):
            found.append(path)
    return sorted(found, key=lambda p: p.relative_to(directory).as_posix())


def parquet_scan(path: Path) -> str:
    """A DuckDB table expression over a Parquet file or directory (as :func:`parquet_files` lists it)."""
    if not path.is_dir():
        return f"read_parquet({literal(str(path))})"
    return parquet_scan_of(parquet_files(path))


def parquet_scan_of(files: list[Path]) -> str:
    """A DuckDB table expression over these files of a directory, read as one dataset."""
    listed = ", ".join(literal(str(p)) for p in files)
    return f"read_parquet([{listed}], hive_partitioning = true, hive_types_autocast = false, union_by_name = true)"


class ParquetSource:
    kind: ClassVar[str] = "parquet"

    def __init__(self, loaded: LoadedSpec, settings: Settings) -> None:
        self.loaded = loaded
        self.settings = settings
        self.path = loaded.source_path
        self.dataset = loaded.spec.name
        if loaded.spec.source.options:
            raise DataError(f"source.options {sorted(loaded.spec.source.options)} mean nothing for a Parquet source",
                            dataset=self.dataset, fix="remove source.options (Parquet files carry their schema)")

    def columns(self) -> list[str]:
        return [name for name, _ in self._schema()]

    def materialise(self, staging: Path) -> Materialised:
        schema = self._schema()
        check_columns_exist(self.loaded, [name for name, _ in schema])
        cells = ", ".join(_cell(name, typ) for name, typ in schema)
        con = connect(self.settings, staging)
        try:
            if self.loaded.spec.source.partitioned:
                return self._parts(con, {name: version_type(typ) for name, typ in schema}, staging)
            return write_version(con, f"SELECT {cells} FROM {self._scan()}", staging / TABLE_FILE)
        except read_errors() as exc:
            raise self._error(exc) from None
        finally:
            con.close()

    def _parts(self, con, types: dict[str, str], staging: Path) -> Materialised:
        """One part per partition folder (datavet.sources.partitioned); parts the DVC cache holds are reused."""
        from datavet.registry import Registry
        from datavet.sources.partitioned import materialise_parts

        if not self.path.is_dir():
            raise DataError(f"source.partitioned is set but {self.path} is one file, not a directory of partitions",
                            dataset=self.dataset, fix="remove partitioned: true, or point source.path at the directory")
        return materialise_parts(con, self.path, parquet_files(self.path), types, staging,
                                 Registry.of(self.settings).cache_dir, self.settings.memo_dir,
                                 write_elsewhere=self._writer(), dataset=self.dataset)

    def _writer(self):
        """With ``engine: spark`` (spec, else DATAVET_ENGINE) Spark's executors write the new parts."""
        from datavet.engines import engine_name

        if engine_name(spec=self.loaded.spec.engine, settings=self.settings) != "spark":
            return None
        from datavet.sources.spark_parts import writer

        return writer(self.settings, self.dataset)

    def in_place(self) -> Materialised:
        """The source file itself as the version to audit (``datavet check``: no copy, out of core),
        after the same readability and column checks as :meth:`materialise`."""
        import pyarrow.parquet as pq

        from datavet.fsutil import file_md5

        check_columns_exist(self.loaded, self.columns())
        try:
            rows = pq.ParquetFile(self.path).metadata.num_rows
        except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
            raise self._error(exc) from None
        return Materialised(self.path, file_md5(self.path), rows, self.path)

    def _scan(self) -> str:
        info = require_file(self.path, self.dataset, directory_fix=PATH_FIX)
        if stat.S_ISDIR(info.st_mode) and not parquet_files(self.path):
            raise DataError(f"source {self.path} is a directory, not a data file, and holds no *.parquet files",
                            dataset=self.dataset, fix=PATH_FIX)
        return parquet_scan(self.path)

    def _schema(self) -> list[tuple[str, str]]:
        scan = self._scan()
        self._refuse_repeated_names()
        con = connect(self.settings)
        try:
            return [(name, typ) for name, typ, *_ in con.sql(f"DESCRIBE SELECT * FROM {scan}").fetchall()]
        except read_errors() as exc:
            raise self._error(exc) from None
        finally:
            con.close()

    def _refuse_repeated_names(self) -> None:
        """DuckDB renames a repeated column (the second ``sex`` becomes ``sex_1``): the checks would
        then audit a column the data does not have, so it is refused, as a CSV header's is."""
        import pyarrow.parquet as pq

        for path in parquet_files(self.path) if self.path.is_dir() else [self.path]:
            try:
                names = pq.read_schema(path).names
            except (OSError, ValueError):  # not Parquet: DuckDB's read says so, with the fix
                return
            counts = Counter(n.casefold() for n in names)  # DuckDB binds names case-insensitively
            repeated = [n for n in names if counts[n.casefold()] > 1]
            if repeated:
                same = sorted({n for n in repeated if n.casefold() == repeated[0].casefold()})
                spelled = "" if len(same) == 1 else f" (as {' and '.join(map(repr, same))}: names are read " \
                                                     "regardless of case)"
                raise DataError(f"{path} repeats the column name {repeated[0]!r}{spelled}", dataset=self.dataset,
                                column=repeated[0],
                                fix="write the file with unique column names (rename or drop the repeat)")

    def _error(self, exc: Exception) -> Exception:
        if environment := environment_error(exc, self.path):
            return environment
        return DataError(f"cannot read {self.path} as parquet: {str(exc).splitlines()[0]}", dataset=self.dataset,
                         fix=READ_FIX)


def _cell(name: str, duckdb_type: str) -> str:
    target = version_type(duckdb_type)
    if target == duckdb_type:
        return quote(name)
    return f"CAST({quote(name)} AS {target}) AS {quote(name)}"
