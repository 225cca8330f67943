"""Kept merges of a partitioned version's row hashes (datavet.engines.rowhashes): whichever path is
taken (a kept merge extended, a new merge, a damaged kept merge ignored), the array is the sort of
every part's hashes together."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from datavet.engines.rowhashes import merged_hashes


def _parts(folder: Path, sizes: dict[str, int], seed: int = 0) -> dict[str, tuple[str, int, Path]]:
    """Sorted uint64 hashes per part (small values, so parts share some), saved as the profile saves them."""
    rng = np.random.default_rng(seed)
    out = {}
    for md5, n in sizes.items():
        path = folder / f"{md5}.npy"
        np.save(path, np.sort(rng.integers(0, 5_000, n, dtype=np.uint64)), allow_pickle=False)
        out[md5] = (md5, n, path)
    return out


def _expected(parts: list[tuple[str, int, Path]]) -> np.ndarray:
    return np.sort(np.concatenate([np.load(p) for _, _, p in parts]))


def test_each_path_gives_the_sort_of_every_hash(tmp_path: Path) -> None:
    merges = tmp_path / "merged"
    p = _parts(tmp_path, {"a": 4000, "b": 3000, "c": 200, "d": 5000, "e": 10})
    first = [p["a"], p["b"]]
    assert np.array_equal(merged_hashes(merges, "all", first), _expected(first))
    kept = sorted(merges.glob("*.npy"))
    assert len(kept) == 1
    grown = [p["a"], p["c"], p["b"], p["c"]]  # a part added, and the same bytes twice (a multiset)
    assert np.array_equal(merged_hashes(merges, "all", grown), _expected(grown))
    assert sorted(merges.glob("*.npy")) == kept  # extended in memory, not kept: the addition is small
    bigger = [*first, p["d"]]
    assert np.array_equal(merged_hashes(merges, "all", bigger), _expected(bigger))
    assert len(list(merges.glob("*.npy"))) == 2  # a large addition is kept as the next base
    removed = [p["b"], p["e"]]  # a part gone: merged whole
    assert np.array_equal(merged_hashes(merges, "all", removed), _expected(removed))
    assert np.array_equal(merged_hashes(merges, "kept", first), _expected(first))  # another column set
    assert len(list(merges.glob("*.npy"))) == 4  # three for "all", one for "kept"
    other = [p["d"], p["e"]]  # a fourth merge of "all": its oldest (the first) is deleted
    assert np.array_equal(merged_hashes(merges, "all", other), _expected(other))
    assert len(list(merges.glob("*.npy"))) == 4 and not set(kept) & set(merges.glob("*.npy"))


def test_a_damaged_kept_merge_is_merged_again(tmp_path: Path) -> None:
    merges = tmp_path / "merged"
    p = _parts(tmp_path, {"a": 3000, "b": 3000, "c": 100}, seed=1)
    merged_hashes(merges, "all", [p["a"], p["b"]])
    (kept,) = merges.glob("*.npy")
    good = np.load(kept)
    grown = [p["a"], p["b"], p["c"]]
    for damaged in (good[::-1].copy(), good[:-1].copy(), good.astype(np.int64)):  # unsorted, short, mistyped
        np.save(kept, damaged, allow_pickle=False)
        assert np.array_equal(merged_hashes(merges, "all", grown), _expected(grown))
    (merges / next(f.name for f in merges.glob("*.json"))).write_text('[{"parts": [["a"]], "file": "x.npy"}]')
    assert np.array_equal(merged_hashes(merges, "all", grown), _expected(grown))
