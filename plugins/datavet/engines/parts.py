"""Count tables of a partitioned version, counted part by part and cached by each part's md5.

Count tables are sums: the table of a version is the sum of its parts' tables, key by key. A part's
tables are kept under ``Settings.memo_dir`` (``<home>/cache/counts/``), named by the part's
md5 and the plan that asked for them (the count tables one validation needs; a changed spec asks for
another plan), so a version that adds one partition counts that part only and every other part's
tables are read back. The merged tables are the same figures a scan of the whole version gives
(tests/test_partitioned.py checks a cached certification against a cold one).

Kept tables are read back as figures, unverified, so they live under home with the signing key, not
in the registry: whoever can write to the registry could otherwise plant the counts a certified
version is judged by (the bytes in its DVC cache are hashed again before certification; a count table
cannot be). Its files are plain JSON (never unpickled); an unreadable one is recounted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CACHE_FORMAT = 1  # bump when the cached tables' layout or meaning changes


@dataclass(frozen=True)
class Parts:
    """The parts of the version being validated: (part md5, its file), and where their tables are kept."""

    folder: Path
    parts: tuple[tuple[str, Path], ...]
    memo: Path | None  # Settings.memo_dir, where merged() keeps each part's tables; None: the listing only


# the parts of the version being validated, as datavet.gx.plan passes the suite's count plan: a context
# variable, so a validation in another thread never counts this one's parts
_ACTIVE: ContextVar[Parts | None] = ContextVar("datavet_parts", default=None)
_LOCK = threading.Lock()  # guards _PROFILES


@contextmanager
def counting_parts(parts: Parts | None) -> Iterator[None]:
    """Within the block, count tables of ``parts.folder`` are counted per part (None: no change)."""
    token = _ACTIVE.set(parts)
    try:
        yield
    finally:
        _ACTIVE.reset(token)


def active_parts() -> Parts | None:
    return _ACTIVE.get()


def parts_of(folder: Path, memo: Path | None = None) -> Parts | None:
    """The parts of a partitioned version's folder (datavet.registry.tree_version.parts_folder), or None;
    ``memo``: where their count tables are kept (``merged``), None when only the listing is wanted."""
    from datavet.fsutil import settled_md5
    from datavet.sources.partitioned import PART_PREFIX

    if not folder.is_dir():
        return None
    files = sorted(folder.iterdir())
    if not files or not all(p.name.startswith(PART_PREFIX) and p.suffix == ".parquet" for p in files):
        return None
    return Parts(folder, tuple((settled_md5(p), p) for p in files), memo)


def merged(parts: Parts, what: str, request: Any, count: Callable[[Path], Any],
           merge: Callable[[list[Any]], Any]) -> Any:
    """``merge`` of every part's ``count``, each read from the cache when there (else counted and kept)."""
    if parts.memo is None:
        raise ValueError("merged() keeps each part's tables: parts_of() needs the memo folder")
    request_key = json.dumps([CACHE_FORMAT, what, request], sort_keys=True, default=repr)
    found = []
    for md5, path in parts.parts:
        key = hashlib.sha256(f"{md5}\n{request_key}".encode()).hexdigest()
        file = parts.memo / "counts" / key[:2] / f"{key}.json"
        try:
            table = _decode(json.loads(file.read_text()))
        except (OSError, ValueError, KeyError, TypeError):
            table = count(path)
            _keep(file, table)
        found.append(table)
    return merge(found)


def _keep(file: Path, table: Any) -> None:
    from datavet.fsutil import atomic_write_text

    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(file, json.dumps(_encode(table)))
    except (OSError, TypeError):  # a cache that cannot be written costs a recount, never a figure
        file.unlink(missing_ok=True)


# ---- the count tables of datavet.count_tables -------------------------------------------------
def merge_tables(tables: list[dict]) -> dict:
    """Sum count tables (``{"value_counts": ..., "missing_counts": ...}``) key by key."""
    out: dict = {"value_counts": {}, "missing_counts": {}}
    for table in tables:
        for wanted, vc in table["value_counts"].items():
            into = out["value_counts"].setdefault(wanted, {"columns": vc["columns"], "rows": {}})
            for key, n in vc["rows"]:
                k = _hashable(key)
                into["rows"][k] = [key, into["rows"].get(k, [key, 0])[1] + n]
        for wanted, mc in table["missing_counts"].items():
            into = out["missing_counts"].setdefault(
                wanted, {"by": mc["by"], "tokens": mc["tokens"], "columns": mc["columns"], "groups": {}})
            for key, n, per_column in mc["groups"]:
                k = _hashable(key)
                if k not in into["groups"]:
                    into["groups"][k] = [key, 0, {c: [0] * len(v) for c, v in per_column.items()}]
                group = into["groups"][k]
                group[1] += n
                for c, v in per_column.items():
                    group[2][c] = [a + b for a, b in zip(group[2][c], v, strict=True)]
    for vc in out["value_counts"].values():
        vc["rows"] = list(vc["rows"].values())
    for mc in out["missing_counts"].values():
        mc["groups"] = list(mc["groups"].values())
    return out


def merge_value_counts(counts: list[list[tuple[tuple, int]]]) -> list[tuple[tuple, int]]:
    """Sum the engines' ``value_counts`` lists."""
    total: dict = {}
    for rows in counts:
        for key, n in rows:
            k = _hashable(list(key))
            total[k] = (tuple(key), total.get(k, (key, 0))[1] + n)
    return list(total.values())


def value_counts_by_parts(engine: Any, table: Any, columns: list[str], memo: Path) -> list[tuple[tuple, int]]:
    """``engine.value_counts`` of a version; a partitioned one's summed over its parts, each part's
    read from the cache when counted before (the drift check's previous version is mostly the same parts)."""
    from datavet.engines.base import ParquetTable

    parts = parts_of(table.path, memo) if isinstance(table, ParquetTable) else None
    if parts is None:
        return engine.value_counts(table, columns)
    return merged(parts, "value_counts", [engine.name, columns],
                  lambda path: [list(k) for k in engine.value_counts(ParquetTable(path), columns)],
                  lambda found: merge_value_counts([[(tuple(k[0]), k[1]) for k in rows] for rows in found]))


def _hashable(key: list) -> tuple:
    """A key as a dict key: 1 and True and 1.0 are different values here (pandas keeps them apart too)."""
    return tuple((type(v).__name__, v) for v in key)


# ---- JSON with the value types a count table's keys hold -----------------------------------------
def _encode(obj: Any) -> Any:
    if obj is None or isinstance(obj, bool | int | str):
        return obj
    if isinstance(obj, float):
        return {"$f": repr(obj)}  # inf and -0.0 survive
    if isinstance(obj, dt.datetime):
        return {"$dt": obj.isoformat()}
    if isinstance(obj, dt.date):
        return {"$d": obj.isoformat()}
    if isinstance(obj, tuple):
        return {"$t": [_encode(v) for v in obj]}
    if isinstance(obj, list):
        return [_encode(v) for v in obj]
    if isinstance(obj, dict):
        return {"$m": [[_encode(k), _encode(v)] for k, v in obj.items()]}
    raise TypeError(f"no cache form for {type(obj).__name__}")


def _decode(obj: Any) -> Any:
    if isinstance(obj, list):
        return [_decode(v) for v in obj]
    if not isinstance(obj, dict):
        return obj
    (tag, value), = obj.items()
    if tag == "$f":
        return float(value)
    if tag == "$dt":
        return dt.datetime.fromisoformat(value)
    if tag == "$d":
        return dt.date.fromisoformat(value)
    if tag == "$t":
        return tuple(_decode(v) for v in value)
    if tag == "$m":
        return {_decode(k): _decode(v) for k, v in value}
    raise ValueError(f"unknown cache tag {tag}")


# ---- the changes section's row difference ---------------------------------------------------------
def row_difference(engine: Any, new: Path, old: Path, cache: Path) -> tuple[int, int]:
    """``engine.row_difference`` of two versions, where a part both versions hold (the same md5) adds
    and removes nothing: only the parts that differ are compared (row multisets: (A+C) - (B+C) is
    A - B). Versions that are not both partitioned, or share no part, are compared whole. ``cache``:
    the DVC cache, where the differing parts are linked for the comparison (same file system)."""
    import tempfile

    import pyarrow.parquet as pq

    from datavet.engines.base import ParquetTable

    a, b = parts_of(new), parts_of(old)  # the listings: the parts both hold are not compared
    if a is None or b is None:
        return engine.row_difference(ParquetTable(new), ParquetTable(old))
    left = list(a.parts)
    right = list(b.parts)
    for md5, path in list(left):
        match = next((r for r in right if r[0] == md5), None)
        if match is not None:
            left.remove((md5, path))
            right.remove(match)
    if len(left) == len(a.parts):  # nothing shared (another schema, or every partition rewritten)
        return engine.row_difference(ParquetTable(new), ParquetTable(old))
    if not left or not right:
        return (sum(pq.ParquetFile(p).metadata.num_rows for _, p in left),
                sum(pq.ParquetFile(p).metadata.num_rows for _, p in right))
    (cache / "datavet").mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="difference-", dir=cache / "datavet") as tmp:
        folders = []
        for side, chosen in (("new", left), ("old", right)):
            folder = Path(tmp) / side
            folder.mkdir()
            for i, (_, path) in enumerate(chosen):
                os.link(path, folder / f"{i:06d}.parquet")
            folders.append(ParquetTable(folder))
        return engine.row_difference(*folders)


# ---- the datasheet's profile ----------------------------------------------------------------------
def profile(engine: Any, folder: Path, memo: Path, *, time_columns: list[str], label_columns: list[str],
            missing_tokens: list[str], identifying_columns: list[str]) -> Any:
    """The DuckDB engine's profile of a partitioned version from per-part partial profiles (rows,
    time ranges, label counts, and the part's rows' 64-bit hashes, sorted, kept as ``.npy`` files):
    the duplicate rows come from the merged hashes, and only rows whose hash another row shares are
    compared whole, in the parts that hold them. None when ``folder`` is not a partitioned version."""
    import numpy as np

    from datavet.engines.base import DataProfile
    from datavet.engines.duckdb import _time_expr
    from datavet.sources.table import literal
    from datavet.sources.table import quote as ident

    parts = parts_of(folder, memo)
    if parts is None:
        return None
    with engine.connect(engine.settings.duckdb_profile_memory_limit) as con:
        first = f"read_parquet({literal(str(parts.parts[0][1]))})"
        types = {str(r[0]): str(r[1]) for r in con.execute(f"DESCRIBE SELECT * FROM {first}").fetchall()}
    times = [c for c in time_columns if c in types]
    labels = [c for c in label_columns if c in types]
    kept = [c for c in types if c not in set(identifying_columns)]
    column_sets = {"all": list(types)} | ({"kept": kept} if 0 < len(kept) < len(types) else {})
    request = {"times": times, "labels": labels, "tokens": missing_tokens, "sets": column_sets,
               "duckdb": _duckdb_version()}
    hashes_dir = memo / "rowhashes"
    remembered = json.dumps([str(memo), [md5 for md5, _ in parts.parts], request], sort_keys=True)
    if remembered in _PROFILES:  # profiled earlier in this process (datavet certify: while GX imported)
        import copy

        return copy.deepcopy(_PROFILES[remembered])

    md5_of = {path: md5 for md5, path in parts.parts}

    def partial(path: Path) -> dict:
        src = f"read_parquet({literal(str(path))})"
        with engine.connect(engine.settings.duckdb_profile_memory_limit) as con:
            ranges = [f"min({e}), max({e})" for e in (_time_expr(c, types[c], missing_tokens) for c in times)]
            row = con.execute(f"SELECT {', '.join(['count(*)', *ranges])} FROM {src}").fetchone()
            counts = {c: {("<missing>" if v is None else str(v)): int(n) for v, n in
                          con.execute(f"SELECT {ident(c)}, count(*) FROM {src} GROUP BY ALL").fetchall()}
                      for c in labels}
            files = {}
            for name, cols in column_sets.items():
                keys = ", ".join(ident(c) for c in cols)
                found = con.execute(f"SELECT hash({keys}) AS h FROM {src} ORDER BY h").fetchnumpy()["h"]
                digest = hashlib.sha256(f"{md5_of[path]}\n{name}\n{json.dumps(request, sort_keys=True)}".encode()
                                        ).hexdigest()
                hashes_dir.mkdir(parents=True, exist_ok=True)
                target = hashes_dir / f"{digest}.npy"
                np.save(target, np.asarray(found, dtype=np.uint64), allow_pickle=False)
                files[name] = target.name
        return {"rows": int(row[0] or 0), "ranges": [[row[1 + 2 * i], row[2 + 2 * i]] for i in range(len(times))],
                "labels": counts, "hashes": files}

    partials = merged(parts, "profile", request, partial, list)
    rows = sum(p["rows"] for p in partials)
    ranges = {}
    for i, col in enumerate(times):
        los = [p["ranges"][i][0] for p in partials if p["ranges"][i][0] is not None]
        his = [p["ranges"][i][1] for p in partials if p["ranges"][i][1] is not None]
        ranges[col] = (str(min(los)) if los else None, str(max(his)) if his else None)
    label_counts = {}
    for col in labels:
        total: dict[str, int] = {}
        for p in partials:
            for value, n in p["labels"][col].items():
                total[value] = total.get(value, 0) + n
        label_counts[col] = dict(sorted(total.items(), key=lambda kv: -kv[1]))
    try:
        request_key = json.dumps(request, sort_keys=True)
        distinct = {name: _distinct(engine, parts, partials, hashes_dir, name, cols, rows, request_key)
                    for name, cols in column_sets.items()}
    except (OSError, ValueError, KeyError):  # a hash file gone from the memo: profile the whole version
        return None
    found = DataProfile(rows=rows, duplicate_rows=rows - distinct["all"], column_types=types, time_ranges=ranges,
                        label_counts=label_counts,
                        duplicate_rows_without_identifying=rows - distinct["kept"] if "kept" in distinct else None)
    with _LOCK:
        if len(_PROFILES) >= 2:
            _PROFILES.pop(next(iter(_PROFILES)))
        _PROFILES[remembered] = found
    return found


# profiles of this process, by memo folder, parts (md5s, hashed in this process) and request: the pipeline
# profiles a partitioned version while GX imports, and the datasheet stage takes it from here
_PROFILES: dict[str, Any] = {}


def _distinct(engine: Any, parts: Parts, partials: list[dict], hashes_dir: Path, name: str, cols: list[str],
              rows: int, request: str) -> int:
    """Distinct rows over ``cols``: rows whose hash no other row shares are distinct; the rest are
    compared whole, reading only the parts that hold a shared hash. The shared hashes come from the
    previous version's merge when this one adds parts to it (datavet.engines.rowhashes)."""
    import numpy as np
    import pyarrow as pa

    from datavet.engines.rowhashes import shared_hashes
    from datavet.sources.parquet import parquet_scan_of
    from datavet.sources.table import quote as ident

    shared, in_shared = shared_hashes(hashes_dir / "merged", f"{name}\n{request}",
                                      [(md5, p["rows"], hashes_dir / p["hashes"][name])
                                       for (md5, _), p in zip(parts.parts, partials, strict=True)])
    if not len(shared):
        return rows
    holding = [path for (_, path), p in zip(parts.parts, partials, strict=True)
               if np.isin(np.load(hashes_dir / p["hashes"][name], allow_pickle=False), shared).any()]
    keys = ", ".join(ident(c) for c in cols)
    with engine.connect(engine.settings.duckdb_profile_memory_limit) as con:
        con.register("datavet_shared", pa.table({"h": pa.array(shared, pa.uint64())}))
        src = parquet_scan_of(holding)
        distinct_shared = int(con.execute(f"SELECT count(*) FROM (SELECT DISTINCT {keys} FROM {src} "
                                          f"WHERE hash({keys}) IN (SELECT h FROM datavet_shared))").fetchone()[0])
    return rows - in_shared + distinct_shared


def _duckdb_version() -> str:
    import duckdb

    return duckdb.__version__
