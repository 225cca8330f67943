"""Pairs of 64-bit hashes within a Hamming distance, without comparing all pairs.

Multi-index hashing: cut each hash into ``d + 1`` chunks of consecutive bits. Two hashes that differ
in at most ``d`` bits differ in at most ``d`` chunks, so (pigeonhole) at least one of the ``d + 1``
chunks is equal in both. Candidates are the pairs that share a chunk value at the same position
(found by sorting each chunk's values: equal values are neighbours); each candidate's true distance
is then computed, so the result is exactly the set of pairs within ``d``, no more and no fewer.
Equal hashes are searched once (the distinct values), so many exact copies cost nothing extra.
With pHashes of distinct images (and random 64-bit values) the buckets are small; the cost grows
with the pairs that share a chunk, which is what ``MAX_DISTANCE`` keeps bounded.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

MAX_DISTANCE = 16  # 17 chunks of 3-4 bits: still exact, though buckets grow large


def chunk_bounds(distance: int) -> list[tuple[int, int]]:
    """(shift, width) of the ``distance + 1`` chunks the 64 bits are cut into, as even as possible."""
    m = distance + 1
    widths = [64 // m + (1 if i < 64 % m else 0) for i in range(m)]
    bounds, shift = [], 0
    for w in widths:
        bounds.append((shift, w))
        shift += w
    return bounds


def parse_hashes(hexes: Iterable[str]) -> np.ndarray:
    """16-hex-digit hashes as uint64."""
    return np.array([int(h, 16) for h in hexes], dtype=np.uint64)


def distinct(a: np.ndarray) -> np.ndarray:
    """The sorted distinct values of an integer array (numpy 2's hash-based ``np.unique`` is
    pathologically slow on some 64-bit inputs; a sort is not)."""
    a = np.sort(np.asarray(a))
    return a[np.concatenate(([True], a[1:] != a[:-1]))] if len(a) else a


def near_pairs(hashes: np.ndarray, distance: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(i, j, d) arrays, i < j indexes into the *distinct* values ``distinct(hashes)``, of every pair of
    distinct values at Hamming distance <= ``distance`` (>= 1). Returns the distinct values' pairs only;
    callers map files to their value with ``np.searchsorted``."""
    if not 0 <= distance <= MAX_DISTANCE:
        raise ValueError(f"distance must be 0..{MAX_DISTANCE}, got {distance}")
    values = distinct(hashes)
    empty = np.empty(0, dtype=np.int64)
    if distance == 0 or len(values) < 2:
        return empty, empty, empty
    found_i, found_j = [], []
    for shift, width in chunk_bounds(distance):
        keys = (values >> np.uint64(shift)) & np.uint64((1 << width) - 1)
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        starts = np.arange(len(values) - 1)
        k = 1
        while len(starts):  # pairs k apart in sorted order with equal keys; runs shrink as k grows
            starts = starts[starts + k < len(values)]
            starts = starts[sorted_keys[starts] == sorted_keys[starts + k]]
            a, b = order[starts], order[starts + k]
            found_i.append(np.minimum(a, b))
            found_j.append(np.maximum(a, b))
            k += 1
    i = np.concatenate(found_i) if found_i else empty
    j = np.concatenate(found_j) if found_j else empty
    pair = distinct(i.astype(np.int64) * len(values) + j)  # a pair sharing several chunks counts once
    i, j = pair // len(values), pair % len(values)
    d = np.bitwise_count(values[i] ^ values[j]).astype(np.int64)
    keep = d <= distance
    return i[keep], j[keep], d[keep]


def clusters(n: int, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """A cluster id per item 0..n-1: the connected components of the pairs (union-find)."""
    parent = np.arange(n)

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in zip(i.tolist(), j.tolist(), strict=True):
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return np.array([root(x) for x in range(n)])
