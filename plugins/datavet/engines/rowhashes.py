"""The row hashes a partitioned version's rows share, from the parts' sorted hashes: merged once,
then kept for the versions that follow.

Merging the parts' hashes costs a sort of every row's hash (10M rows: about 1.5 s). A version is
mostly the parts of a version merged before: the merged array of those parts is kept (``.npy``,
never unpickled) with the multiset of their md5s, and the version's other parts' hashes, sorted,
are looked up in it by binary search (a hash the kept array holds, or that repeats among the new
parts or in the kept array, is shared). Once the added rows pass a quarter of the kept array's,
the two are merged (``numpy.insert``, one linear pass) and kept as the next base. A version that
shares no kept merge (a part removed or rewritten) is merged whole, and that merge is kept. The
shared hashes and their rows are those of a full merge either way.

The kept merges are as trusted as the per-part hash files beside them (under home,
``Settings.memo_dir``, never in the registry): a kept array is used only if it has the length its
parts' rows give, the right type, and is sorted; anything else is merged again.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

KEEP = 3  # merges kept per request: the version being certified and the ones a retry or a rerun needs
REBASE = 0.25  # keep the new merge too once the parts added since the kept one pass this share of its rows


def shared_hashes(folder: Path, request: str, parts: Sequence[tuple[str, int, Path]]) -> tuple[np.ndarray, int]:
    """The hashes more than one row of ``parts`` has (sorted, once each) and how many rows have one
    of them. ``parts``: each part's md5, its rows, and its sorted hashes' ``.npy`` file. A kept merge
    of some of the parts is used when there is one (module docstring)."""
    index_file = folder / f"{hashlib.sha256(request.encode()).hexdigest()}.json"
    index = _read_index(index_file)
    wanted = Counter(md5 for md5, _, _ in parts)
    base, base_entry = _best_base(folder, index, wanted, parts)
    if base is None:
        every = _sorted_union([np.load(path, allow_pickle=False) for _, _, path in parts])
        _keep(folder, index_file, index, wanted, every, request)
        shared = np.unique(_repeated(every))
        return shared, _rows_with(every, shared)
    rest = wanted - Counter(base_entry["parts"])
    added = []
    for md5, _, path in parts:
        if rest[md5] > 0:
            rest[md5] -= 1
            added.append(np.load(path, allow_pickle=False))
    new = _sorted_union(added)
    at = np.searchsorted(base, new)
    inside = at < len(base)
    in_base = np.zeros(len(new), dtype=bool)
    in_base[inside] = base[at[inside]] == new[inside]
    shared = np.unique(np.concatenate([_repeated(base), _repeated(new), new[in_base]]))
    if len(new) > REBASE * max(len(base), 1):
        _keep(folder, index_file, index, wanted, np.insert(base, at, new), request)
    return shared, _rows_with(base, shared) + _rows_with(new, shared)


def _repeated(ordered: np.ndarray) -> np.ndarray:
    """The values of a sorted array that occur more than once (with repeats)."""
    return ordered[1:][ordered[1:] == ordered[:-1]]


def _rows_with(ordered: np.ndarray, values: np.ndarray) -> int:
    """How many entries of a sorted array are among ``values`` (sorted, unique)."""
    if not len(values) or not len(ordered):
        return 0
    return int((np.searchsorted(ordered, values, "right") - np.searchsorted(ordered, values, "left")).sum())


def _sorted_union(arrays: list[np.ndarray]) -> np.ndarray:
    """Sorted runs merged: the stable sort (timsort/radix) finds the runs, ~3x a quicksort."""
    if not arrays:
        return np.empty(0, dtype=np.uint64)
    return np.sort(np.concatenate(arrays).astype(np.uint64, copy=False), kind="stable")


def _best_base(folder: Path, index: list[dict], wanted: Counter,
               parts: Sequence[tuple[str, int, Path]]) -> tuple[np.ndarray | None, dict]:
    """The kept merge of the most rows whose parts are all among ``wanted`` (None: there is none)."""
    rows_of = {md5: rows for md5, rows, _ in parts}
    fitting = [e for e in index if not Counter(e["parts"]) - wanted]
    for entry in sorted(fitting, key=lambda e: -sum(rows_of[m] for m in e["parts"])):
        expected = sum(rows_of[m] for m in entry["parts"])
        try:
            found = np.load(folder / entry["file"], allow_pickle=False)  # one read: faster than mmap's faults
        except (OSError, ValueError):
            continue
        if found.dtype != np.uint64 or found.ndim != 1 or len(found) != expected:
            continue
        if len(found) > 1 and not bool((found[1:] >= found[:-1]).all()):
            continue
        return found, entry
    return None, {}


def _read_index(index_file: Path) -> list[dict]:
    try:
        index = json.loads(index_file.read_text())
        return [e for e in index if isinstance(e.get("parts"), list) and all(isinstance(m, str) for m in e["parts"])
                and isinstance(e.get("file"), str) and "/" not in e["file"] and e["file"].endswith(".npy")]
    except (OSError, ValueError, AttributeError, TypeError):
        return []


def _keep(folder: Path, index_file: Path, index: list[dict], wanted: Counter, every: np.ndarray,
          request: str) -> None:
    """Keep ``every`` as the merge of ``wanted``; the oldest kept merges beyond ``KEEP`` are deleted.
    A cache that cannot be written costs a merge next time, never a figure."""
    from datavet.fsutil import atomic_write_text, new_temp_file

    parts = sorted(wanted.elements())
    name = hashlib.sha256("\n".join([request, *parts]).encode()).hexdigest() + ".npy"
    entries = [e for e in index if sorted(e["parts"]) != parts] + [{"parts": parts, "file": name}]
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = new_temp_file(folder / name)
        try:
            with os.fdopen(fd, "wb") as fh:
                np.save(fh, every, allow_pickle=False)
            os.replace(tmp, folder / name)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        for old in entries[:-KEEP]:
            if old["file"] not in {e["file"] for e in entries[-KEEP:]}:
                (folder / old["file"]).unlink(missing_ok=True)
        atomic_write_text(index_file, json.dumps(entries[-KEEP:]))
    except OSError:
        return
