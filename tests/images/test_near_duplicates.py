"""The near-duplicate search against brute force (every pair), and its speed on 100,000 hashes."""

from __future__ import annotations

import time

import numpy as np
import pytest

from datavet.figures.near_duplicates import chunk_bounds, clusters, distinct, near_pairs


def brute(values: np.ndarray, distance: int) -> set[tuple[int, int, int]]:
    out = set()
    for a in range(len(values)):
        d = [bin(x).count("1") for x in (values[a] ^ values[a + 1:]).tolist()]  # Python's own popcount
        out |= {(a, a + 1 + k, x) for k, x in enumerate(d) if x <= distance}
    return out


def planted(rng: np.random.Generator, n: int, near: int) -> np.ndarray:
    """``n`` random hashes and ``near`` copies of some of them with 1..8 bits flipped."""
    base = rng.integers(0, 2**63, size=n, dtype=np.uint64) * np.uint64(2) + rng.integers(0, 2, n).astype(np.uint64)
    copies = []
    for src in rng.integers(0, n, size=near):
        flip = rng.choice(64, size=int(rng.integers(1, 9)), replace=False)
        copies.append(int(base[src]) ^ sum(1 << int(b) for b in flip))
    return np.concatenate([base, np.array(copies, dtype=np.uint64)])


@pytest.mark.parametrize("distance", [1, 2, 4, 6, 10])
def test_exactly_the_pairs_brute_force_finds(distance: int) -> None:
    rng = np.random.default_rng(distance)
    hashes = planted(rng, 1500, 400)
    values = distinct(hashes)
    assert values.tolist() == sorted(set(hashes.tolist()))
    i, j, d = near_pairs(hashes, distance)
    got = set(zip(i.tolist(), j.tolist(), d.tolist(), strict=True))
    want = brute(values, distance)
    assert got == want and len(want) > 50


def test_chunks_cover_the_64_bits_once() -> None:
    for distance in range(0, 17):
        bounds = chunk_bounds(distance)
        assert len(bounds) == distance + 1 and sum(w for _, w in bounds) == 64
        assert [s for s, _ in bounds] == [sum(w for _, w in bounds[:k]) for k in range(len(bounds))]


def test_equal_hashes_are_one_value_and_clusters_join_chains() -> None:
    hashes = np.array([0, 0, 1, 3, 7, 3 << 40], dtype=np.uint64)
    i, j, _ = near_pairs(hashes, 1)
    assert sorted(zip(i.tolist(), j.tolist(), strict=True)) == [(0, 1), (1, 2), (2, 3)]  # values 0,1,3,7
    assert clusters(5, i, j).tolist() == [0, 0, 0, 0, 4]
    with pytest.raises(ValueError):
        near_pairs(hashes, 17)


def test_100000_hashes_searched_in_under_10_seconds() -> None:
    rng = np.random.default_rng(7)
    hashes = planted(rng, 99_000, 1_000)
    start = time.perf_counter()
    i, j, d = near_pairs(hashes, 4)
    elapsed = time.perf_counter() - start
    assert elapsed < 10, elapsed
    flips = d.tolist()
    assert len(flips) >= sum(1 for x in flips if x <= 4) > 300  # the planted copies with <= 4 flips, found
