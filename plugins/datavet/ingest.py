"""Read a dataset's source as its spec says, and write the version as Parquet with an explicit,
deterministic schema: the same source bytes always give the same Parquet bytes, hence the same md5
(the version's identity), which makes re-runs idempotent."""

from __future__ import annotations

import csv
import errno
import hashlib
import os
import stat
import tempfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from datavet.errors import ColumnNotFoundError, DataError
from datavet.spec import LoadedSpec


def read_source(loaded: LoadedSpec, path: str | Path | None = None) -> pd.DataFrame:
    """Read the source (or ``path`` instead) with the spec's reader options.

    Values are kept as published: missing tokens such as ``?`` stay in the data and every check
    treats them as missing (so the datasheet can say which token was used). Only empty cells are
    null: pandas' default NA list would turn Namibia's ``NA`` into a missing value.
    """
    spec = loaded.spec
    source = Path(path) if path is not None else loaded.source_path
    _require_data_file(source, spec.name)
    fmt = "parquet" if is_parquet(source) else spec.source.resolved_format
    try:
        if fmt == "parquet":
            options = spec.source.options if spec.source.resolved_format == "parquet" else {}
            df = pd.read_parquet(source, **options)
        else:
            df = _read_csv(source, loaded)
    except DataError:
        raise
    except UnicodeDecodeError as exc:
        raise DataError(f"{source} is not {spec.source.options.get('encoding', 'utf-8')} text ({exc.reason} at "
                        f"byte {exc.start})", dataset=spec.name,
                        fix="set source.options.encoding (e.g. latin-1) to the file's encoding") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{source} is empty: no header and no rows", dataset=spec.name,
                        fix="check source.path points at the published file (was it truncated?)") from None
    except pd.errors.ParserError as exc:
        raise DataError(f"{source} is not a well-formed CSV: {exc}", dataset=spec.name,
                        fix="repair the ragged rows or set source.options (sep, quotechar) to match the file"
                        ) from None
    except (pa.ArrowInvalid, OSError, ValueError) as exc:
        raise DataError(f"cannot read {source} as {fmt}: {exc}", dataset=spec.name,
                        fix="check source.format and source.options") from None
    if df.columns.duplicated().any():
        dupes = sorted({str(c) for c in df.columns[df.columns.duplicated()]})
        raise DataError(f"duplicate column names {dupes}", dataset=spec.name, column=dupes[0],
                        fix="rename the columns with source.options.names")
    df.columns = [str(c) for c in df.columns]
    check_columns_exist(loaded, df.columns)
    return df


def _require_data_file(source: Path, dataset: str) -> None:
    """A source must be a non-empty regular file: say so plainly for a missing file, a directory, a
    symlink loop or 0 bytes, instead of a reader's traceback."""
    fix = "check source.path in the spec (relative paths start at the project root)"
    try:
        info = source.stat()
    except FileNotFoundError:
        raise DataError(f"source file {source} does not exist", dataset=dataset, fix=fix) from None
    except OSError as exc:
        what = "is a loop of symbolic links" if exc.errno == errno.ELOOP else f"cannot be opened ({exc.strerror})"
        raise DataError(f"source {source} {what}", dataset=dataset, fix=fix) from None
    if stat.S_ISDIR(info.st_mode):
        raise DataError(f"source {source} is a directory, not a data file", dataset=dataset,
                        fix=fix + "; name one file (Parquet datasets of many files are not supported)")
    if not stat.S_ISREG(info.st_mode):
        raise DataError(f"source {source} is not a regular file", dataset=dataset, fix=fix)
    if info.st_size == 0:
        raise DataError(f"source file {source} is empty (0 bytes)", dataset=dataset,
                        fix=fix + " and that the file was written completely")


def is_parquet(path: Path) -> bool:
    """By content, not name: versions in the DVC cache have no suffix."""
    with open(path, "rb") as fh:
        return fh.read(4) == b"PAR1"


def _read_csv(source: Path, loaded: LoadedSpec) -> pd.DataFrame:
    options = {"keep_default_na": False, "na_values": [""], **loaded.spec.source.options}
    if "names" not in options and options.get("header", "infer") in ("infer", 0):
        _reject_duplicate_header(source, options, loaded.spec.name)
    return pd.read_csv(source, **options)


def _reject_duplicate_header(source: Path, options: dict, dataset: str) -> None:
    """pandas silently renames a repeated header ``x`` to ``x.1``; published CSVs do repeat names."""
    sep = options.get("sep", options.get("delimiter", ","))
    encoding = options.get("encoding", "utf-8")
    with open(source, newline="", encoding=encoding) as fh:
        header = next(csv.reader(fh, delimiter=sep if len(sep) == 1 else ","), [])
    header = [h.strip() if options.get("skipinitialspace") else h for h in header]
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise DataError(f"the header repeats the column name {name!r}", dataset=dataset, column=name,
                            fix="give unique names with source.options.names (and header: 0)")
        seen.add(name)


def check_columns_exist(loaded: LoadedSpec, columns) -> None:
    present = set(columns)
    wanted = set(loaded.spec.columns) | loaded.spec.referenced_columns()
    missing = sorted(wanted - present)
    if missing:
        raise ColumnNotFoundError(
            f"the spec names column(s) {missing} that are not in the data (columns: {sorted(present)})",
            dataset=loaded.spec.name, column=missing[0],
            fix="fix the column name in the spec, or source.options.names")


def check_role_columns(loaded: LoadedSpec, df: pd.DataFrame) -> None:
    """The bias checks need values: refuse a protected, geography or label column with no value at
    all (only nulls and missing tokens), and a label whose positive value never occurs (its positive
    rate would be 0 for every group, which no check can tell from a real disparity)."""
    spec = loaded.spec
    tokens = set(spec.missing_tokens)
    for column in sorted({*spec.columns_with_role("protected"), *spec.columns_with_role("geography"),
                          *spec.columns_with_role("label")}):
        values = df[column].dropna().astype(str).str.strip()
        if values.empty or values.isin(tokens | {""}).all():
            role = spec.columns[column].role
            raise DataError(f"every value is missing in this {role} column, so no check can use it",
                            dataset=spec.name, column=column,
                            fix=f"fill in the column in the source, or drop its role: {role} from the spec")
    labels = spec.label_positives()
    for column, positive in sorted(labels.items()):
        values = df[column].dropna().astype(str).str.strip()
        if not (values == positive.strip()).any():
            # raw values of an identifying or sensitive column never appear in any output
            seen = (f"{values.nunique()} distinct values, not listed: the column is {spec.columns[column].role}"
                    if column in spec.private_columns else sorted(values.unique())[:10])
            raise DataError(f"no row has the positive value {positive!r} (values: {seen})", dataset=spec.name,
                            column=column, fix=f"set columns.{column}.positive (or the label_balance check's "
                                               "'positive') to the value that means positive")


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
    """Write atomically (temp file + rename) and return the md5 of the bytes written."""
    schema = arrow_schema(df)
    try:
        table = pa.Table.from_pandas(df, schema=schema, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise DataError(f"cannot store the data with schema {schema}: {exc}",
                        fix="make each column hold one type") from None
    table = table.replace_schema_metadata(None)  # no pandas metadata: bytes depend on the data only
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".parquet", dir=out.parent)
    os.close(fd)
    try:
        pq.write_table(table, tmp, compression="zstd", write_statistics=True)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return file_md5(out)


def file_md5(path: Path, chunk: int = 1 << 20) -> str:
    """The md5 DVC records for a file (DVC 3 hashes the raw bytes)."""
    digest = hashlib.md5()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()
