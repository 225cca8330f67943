"""Count tables of a partitioned version, counted part by part and cached by each part's md5.

Count tables are sums: the table of a version is the sum of its parts' tables, key by key. A part's
tables are kept under the registry's DVC cache (``.dvc/cache/datavet/counts/``), named by the part's
md5 and the plan that asked for them (the count tables one validation needs; a changed spec asks for
another plan), so a version that adds one partition counts that part only and every other part's
tables are read back. The merged tables are the same figures a scan of the whole version gives
(tests/test_partitioned.py checks a cached certification against a cold one).

The cache is as trusted as the DVC cache beside it: whoever can write there can change the bytes a
version is read from too. Its files are plain JSON (never unpickled); an unreadable one is recounted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CACHE_FORMAT = 1  # bump when the cached tables' layout or meaning changes


@dataclass(frozen=True)
class Parts:
    """The parts of the version being validated: (part md5, its file), and where their tables are kept."""

    folder: Path
    parts: tuple[tuple[str, Path], ...]
    cache: Path


_ACTIVE: list[Parts] = []
_LOCK = threading.Lock()


@contextmanager
def counting_parts(parts: Parts | None) -> Iterator[None]:
    """Within the block, count tables of ``parts.folder`` are counted per part (None: no change)."""
    if parts is None:
        yield
        return
    with _LOCK:
        _ACTIVE.append(parts)
    try:
        yield
    finally:
        with _LOCK:
            _ACTIVE.remove(parts)


def active_parts() -> Parts | None:
    with _LOCK:
        return _ACTIVE[-1] if _ACTIVE else None


def parts_of(folder: Path, cache: Path) -> Parts | None:
    """The parts of a partitioned version's folder (datavet.registry.tree_version.parts_folder), or None."""
    from datavet.fsutil import settled_md5
    from datavet.sources.partitioned import PART_PREFIX

    if not folder.is_dir():
        return None
    files = sorted(folder.iterdir())
    if not files or not all(p.name.startswith(PART_PREFIX) and p.suffix == ".parquet" for p in files):
        return None
    return Parts(folder, tuple((settled_md5(p), p) for p in files), cache)


def merged(parts: Parts, what: str, request: Any, count: Callable[[Path], Any],
           merge: Callable[[list[Any]], Any]) -> Any:
    """``merge`` of every part's ``count``, each read from the cache when there (else counted and kept)."""
    request_key = json.dumps([CACHE_FORMAT, what, request], sort_keys=True, default=repr)
    found = []
    for md5, path in parts.parts:
        key = hashlib.sha256(f"{md5}\n{request_key}".encode()).hexdigest()
        file = parts.cache / "datavet" / "counts" / key[:2] / f"{key}.json"
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
