"""The data as a pandas DataFrame, for what still needs one (the pandas engine, notebooks, tests).

A source is read in exactly one way: :mod:`datavet.sources` writes it as a Parquet version, and
:func:`read_source` reads that version back, so ``datavet check --data file.csv``, the pandas
engine and ``datavet certify`` see the same values and types. :func:`write_parquet` stores a frame
made in memory with the same explicit, deterministic schema rules.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from datavet.errors import DataError
from datavet.fsutil import file_md5, new_temp_file
from datavet.sources.parts import writer_options
from datavet.sources.roles import check_role_columns
from datavet.sources.table import check_columns_exist

if TYPE_CHECKING:  # pragma: no cover
    from datavet.settings import Settings
    from datavet.spec import LoadedSpec

__all__ = ["arrow_schema", "check_columns_exist", "check_role_columns", "file_md5", "is_parquet", "read_source",
           "source_at", "write_parquet"]


def source_at(loaded: LoadedSpec, path: str | Path) -> LoadedSpec:
    """The spec with its source at ``path`` instead (``--data``). For a table or SQL source: a file or a
    Parquet directory, a Parquet file by content read as Parquet whatever the spec's format, anything
    else with the spec's reader options. For a tree of files: a folder laid out like ``files.root``
    (the same include/exclude patterns, path labels and manifest: the spec's own)."""
    source = loaded.spec.source
    where = Path(path).absolute()
    if source.kind == "splits":
        raise DataError(f"--data {path}: this dataset is read from named splits (source.splits), not one place",
                        dataset=loaded.spec.name, fix="change the paths under source.splits in the spec, or copy "
                                                      "the spec and point its splits at the other data")
    if source.kind == "files":
        if not where.is_dir():
            raise DataError(f"--data {path}: this dataset is a tree of files, and {path} is not a folder",
                            dataset=loaded.spec.name, fix="give a folder laid out like source.files.root (the "
                            "include patterns are relative to it; the spec's manifest is kept)")
        source = source.model_copy(update={"files": source.files.model_copy(update={"root": str(where)})})
    else:
        source = source.model_copy(update={"path": str(where), "sql": None})
        if where.is_file() and is_parquet(where):
            source = source.model_copy(update={"format": "parquet", "options": {}})
    return loaded.model_copy(update={"spec": loaded.spec.model_copy(update={"source": source})})


def read_source(loaded: LoadedSpec, path: str | Path | None = None, settings: Settings | None = None
                ) -> pd.DataFrame:
    """The source (or ``path`` instead) as the version holds it, as a DataFrame."""
    from datavet.settings import Settings
    from datavet.sources import source_for

    if path is not None:
        loaded = source_at(loaded, path)
    settings = settings or Settings.from_env(loaded.root)
    with tempfile.TemporaryDirectory(prefix="datavet-read-") as tmp:
        version = source_for(loaded, settings).materialise(Path(tmp))
        return read_parquet(version.table)


NULLABLE_INTEGERS = {pa.int8(): pd.Int8Dtype(), pa.int16(): pd.Int16Dtype(), pa.int32(): pd.Int32Dtype(),
                     pa.int64(): pd.Int64Dtype(), pa.uint8(): pd.UInt8Dtype(), pa.uint16(): pd.UInt16Dtype(),
                     pa.uint32(): pd.UInt32Dtype(), pa.uint64(): pd.UInt64Dtype()}


def read_parquet(path: str | Path | list[Path], columns: list[str] | None = None) -> pd.DataFrame:
    """A version as a DataFrame, integers exact: an integer column holding a null comes back as pandas'
    nullable integer (``Int64``), not as float64, which rounds integers above 2**53 (a 17-digit date
    stamp). Columns without a null keep numpy's types, as ``pandas.read_parquet`` gives them. A list
    of files (the parts of a partitioned version, one schema) is read as one table, in that order."""
    if isinstance(path, list):
        table = pa.concat_tables([pq.read_table(p, columns=columns) for p in path])
    else:
        table = pq.read_table(path, columns=columns)
    df = table.to_pandas()
    for name, column in zip(table.column_names, table.columns, strict=True):
        if column.null_count and column.type in NULLABLE_INTEGERS:
            df[name] = column.to_pandas(types_mapper=NULLABLE_INTEGERS.get).array
    return df


def is_parquet(path: Path) -> bool:
    """By content, not name: versions in the DVC cache have no suffix."""
    with open(path, "rb") as fh:
        return fh.read(4) == b"PAR1"


def arrow_schema(df: pd.DataFrame) -> pa.Schema:
    """An explicit schema: text as string, integers as int64, everything numeric else as float64."""
    fields = []
    for name, dtype in df.dtypes.items():
        if pd.api.types.is_bool_dtype(dtype):
            typ = pa.bool_()
        elif pd.api.types.is_integer_dtype(dtype):
            typ = pa.int64()
        elif pd.api.types.is_float_dtype(dtype):
            typ = pa.float64()
        elif pd.api.types.is_datetime64_any_dtype(dtype):
            typ = pa.timestamp("us", tz=getattr(dtype, "tz", None) and str(dtype.tz))
        else:
            typ = pa.string()
        fields.append(pa.field(str(name), typ, nullable=True))
    return pa.schema(fields)


def write_parquet(df: pd.DataFrame, out: Path) -> str:
    """Write a frame atomically (temp file + rename) and return the md5 of the bytes written."""
    schema = arrow_schema(df)
    try:
        table = pa.Table.from_pandas(df, schema=schema, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise DataError(f"cannot store the data with schema {schema}: {exc}",
                        fix="make each column hold one type") from None
    table = table.replace_schema_metadata(None)  # no pandas metadata: bytes depend on the data only
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = new_temp_file(out, suffix=".parquet")
    os.close(fd)
    try:
        pq.write_table(table, tmp, **writer_options(table))  # a version's choices (datavet.sources.parts)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return file_md5(out)
