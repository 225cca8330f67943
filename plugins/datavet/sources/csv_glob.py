"""CSV files matched by a glob (``source: {path: "data/*.csv", partitioned: true}``) as a partitioned
version: one Parquet part per file.

Each file is read exactly as a one-file CSV source reads it (``datavet.sources.csv``: the same options,
types and errors), so its part is the one-file version of that file, and a file whose bytes, options
and reader versions are those of a part the DVC cache holds is not parsed again. The files must have
the same columns in the same order; a column's type is the one every file gives it, int64 and float64
meet as float64, and a column with no value in a file takes the others' type. A column that is a
number in one file and text in another is refused (casting numbers back to text would not give the
file's own spelling, ``1.50`` read as ``1.5``): the fix is the same missing token in every file, or
Parquet files.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from datavet.errors import DataError
from datavet.sources.partitioned import (
    PartsFolder,
    PartsMaterialised,
    part_name,
)
from datavet.sources.parts import LAYOUT

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa

    from datavet.settings import Settings
    from datavet.spec import LoadedSpec

WILDCARDS = "*?["
FIX = "check source.path: a glob relative to the project root, such as data/*.csv"


def glob_files(loaded: LoadedSpec) -> tuple[Path, list[Path]]:
    """(the glob's fixed base folder, the matching regular files in path order); refuses no match."""
    pattern = str(loaded.source_path)
    if not any(c in pattern for c in WILDCARDS):
        raise DataError(f"source.partitioned with a CSV source needs a glob in source.path, not {pattern}",
                        dataset=loaded.spec.name, fix=FIX)
    parts = Path(pattern).parts
    fixed = next(i for i, part in enumerate(parts) if any(c in part for c in WILDCARDS))
    base = Path(*parts[:fixed])
    files = sorted((Path(p) for p in glob.glob(pattern, recursive=True) if Path(p).is_file()),
                   key=lambda p: p.relative_to(base).as_posix())
    if not files:
        raise DataError(f"no file matches {pattern}", dataset=loaded.spec.name, fix=FIX)
    return base, files


def one_file(loaded: LoadedSpec, path: Path) -> LoadedSpec:
    """The spec as it reads one of the files (a one-file CSV source)."""
    source = loaded.spec.source.model_copy(update={"path": str(path), "partitioned": False})
    return loaded.model_copy(update={"spec": loaded.spec.model_copy(update={"source": source})})


def glob_columns(loaded: LoadedSpec, settings: Settings) -> list[str]:
    from datavet.sources.csv import CsvSource

    _, files = glob_files(loaded)
    return CsvSource(one_file(loaded, files[0]), settings).columns()


def materialise_glob(loaded: LoadedSpec, settings: Settings, staging: Path, cache: Path) -> PartsMaterialised:
    """One part per CSV file (parts the DVC ``cache`` holds are linked, found by the files' fingerprints)."""
    import pyarrow.parquet as pq

    from datavet.fsutil import file_md5
    from datavet.sources.csv import CsvSource
    from datavet.sources.file_state import file_states

    base, files = glob_files(loaded)
    parts = PartsFolder(staging, cache, settings.memo_dir)
    with file_states(settings.memo_dir) as states:
        keys = [_fingerprint(loaded, states.md5_of(path, file_md5)) for path in files]
    for i, (path, key) in enumerate(zip(files, keys, strict=True)):
        name = part_name(path.relative_to(base).as_posix())
        if not parts.reuse(name, key):
            made = CsvSource(one_file(loaded, path), settings).materialise(staging / f"file-{i}")
            os.replace(made.path, parts.path / name)
            parts.written(name, key, made.md5, made.rows)
    schemas = [pq.read_schema(parts.path / name).remove_metadata() for name in parts.parts]
    target = _common_schema(loaded.spec.name, files, schemas, [_all_null(parts.path / name) for name in parts.parts])
    for name, schema in zip(list(parts.parts), schemas, strict=True):
        if not schema.equals(target):  # another type in this file: the part is cast to the common one
            parts.rewritten(name, _cast(parts.path / name, target, settings))
    return parts.done()


def _fingerprint(loaded: LoadedSpec, md5: str) -> str:
    import duckdb
    import pyarrow

    text = json.dumps({"csv": md5, "options": loaded.spec.source.options, "duckdb": duckdb.__version__,
                       "pyarrow": pyarrow.__version__, "layout": LAYOUT}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _all_null(path: Path) -> set[str]:
    """The columns of a part without any value."""
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(path).metadata
    names = meta.schema.to_arrow_schema().names
    nulls = dict.fromkeys(names, 0)
    for g in range(meta.num_row_groups):
        group = meta.row_group(g)
        for c, name in enumerate(names):
            stats = group.column(c).statistics
            nulls[name] += stats.null_count if stats is not None and stats.has_null_count else 0
    return {n for n, count in nulls.items() if count == meta.num_rows and meta.num_rows}


def _common_schema(dataset: str, files: list[Path], schemas: list[pa.Schema], empty: list[set[str]]) -> pa.Schema:
    import pyarrow as pa

    first = schemas[0].names
    for path, schema in zip(files, schemas, strict=True):
        if schema.names != first:
            raise DataError(f"{path} has the columns {schema.names}, {files[0]} has {first}", dataset=dataset,
                            fix="give every file matched by source.path the same columns in the same order")
    fields = []
    for i, name in enumerate(first):
        kinds = {s.field(i).type for s, e in zip(schemas, empty, strict=True) if name not in e} or \
            {schemas[0].field(i).type}
        if len(kinds) == 1:
            typ = kinds.pop()
        elif kinds <= {pa.int64(), pa.float64()}:
            typ = pa.float64()
        else:
            spelled = {str(s.field(i).type): f.name for f, s in zip(files, schemas, strict=True)}
            raise DataError(f"column {name!r} is read as {' in one file and as '.join(spelled)} in another "
                            f"(e.g. {', '.join(f'{t} in {f}' for t, f in spelled.items())})", dataset=dataset,
                            column=name, fix="use the same missing token in every file (a number column with "
                                             "text in one file is text there), or convert the files to Parquet")
        fields.append(pa.field(name, typ))
    return pa.schema(fields)


def _cast(path: Path, schema: Any, settings: Settings) -> str:
    """Rewrite a part in the common schema (same rows, same order); returns its md5."""
    import pyarrow.parquet as pq

    from datavet.sources.parts import write_part
    from datavet.sources.table import scratch_file

    source = pq.ParquetFile(path)
    with scratch_file(path.parent, path.name) as tmp:
        part = write_part(source.iter_batches(), schema, tmp)  # each batch cast to the schema
        os.replace(tmp, path)
    return part.md5
