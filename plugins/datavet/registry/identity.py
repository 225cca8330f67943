"""The sha256 identity of a version beside DVC's md5, computed from bytes read in this run.

* a file: the sha256 of its bytes;
* a tree: the sha256 of its listing ``[{"relpath": ..., "sha256": ...}]`` (DVC's ``.dir`` listing
  with each file's sha256 in place of its md5, sorted by relpath, dumped with sorted keys).

md5 is DVC's content address and no longer collision resistant: the sha256 is what a signature
binds. Both are computed in one read, which also re-verifies the md5 (a cache object damaged since
it was written is found before it is certified or pushed).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

from datavet.fsutil import file_digests
from datavet.registry import dvctree

__all__ = ["file_digests", "listing_sha256", "tree_sha256"]


def listing_sha256(files: dict[str, str]) -> str:
    """The tree identity from each file's sha256 by relpath."""
    listing = [{"relpath": rel, "sha256": files[rel]} for rel in sorted(files)]
    return hashlib.sha256(json.dumps(listing, sort_keys=True).encode()).hexdigest()


Digests = Callable[[Path], tuple[str, str]]  # (md5, sha256) of a file


def tree_sha256(store: Path, entries: list[dvctree.Entry], where: str,
                digests: Digests = file_digests) -> tuple[str, list[str]]:
    """The tree's sha256 identity from the objects in ``store``, and every object that is missing or
    no longer hashes to its listed md5 (named by file, with both hashes). ``digests``: (md5, sha256)
    of a file (the certify stage's reuses what this process hashed of an unchanged file)."""
    files: dict[str, str] = {}
    problems: list[str] = []
    for entry in entries:
        obj = dvctree.object_file(store, entry.md5)
        try:
            md5, sha = digests(obj)
        except FileNotFoundError:
            problems.append(f"{entry.relpath} (md5 {entry.md5}) is missing from the {where}")
            continue
        if md5 != entry.md5:
            problems.append(f"{entry.relpath} in the {where} ({obj}) hashes to {md5}, listed as {entry.md5}")
        files[entry.relpath] = sha
    return listing_sha256(files), problems
