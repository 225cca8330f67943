"""Kept merges of a partitioned version's row hashes (datavet.engines.rowhashes): whichever path is
taken (a kept merge looked up, a new merge, a damaged kept merge ignored), the shared hashes and
their rows are those numpy's unique-with-counts gives over every part's hashes together."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from datavet.engines.rowhashes import shared_hashes


def _parts(folder: Path, sizes: dict[str, int], seed: int = 0) -> dict[str, tuple[str, int, Path]]:
    """Sorted uint64 hashes per part (small values, so parts share some), saved as the profile saves them."""
    rng = np.random.default_rng(seed)
    out = {}
    for md5, n in sizes.items():
        path = folder / f"{md5}.npy"
        np.save(path, np.sort(rng.integers(0, 20_000, n, dtype=np.uint64)), allow_pickle=False)
        out[md5] = (md5, n, path)
    return out


def _same(found: tuple[np.ndarray, int], parts: list[tuple[str, int, Path]]) -> bool:
    values, counts = np.unique(np.concatenate([np.load(p) for _, _, p in parts]), return_counts=True)
    return np.array_equal(found[0], values[counts > 1]) and found[1] == int(counts[counts > 1].sum())


def test_each_path_gives_the_shared_hashes_of_every_part(tmp_path: Path) -> None:
    merges = tmp_path / "merged"
    p = _parts(tmp_path, {"a": 4000, "b": 3000, "c": 200, "d": 5000, "e": 10})
    first = [p["a"], p["b"]]
    assert _same(shared_hashes(merges, "all", first), first)
    kept = sorted(merges.glob("*.npy"))
    assert len(kept) == 1
    grown = [p["a"], p["c"], p["b"], p["c"]]  # a part added, and the same bytes twice (a multiset)
    assert _same(shared_hashes(merges, "all", grown), grown)
    assert sorted(merges.glob("*.npy")) == kept  # looked up in the kept merge, nothing kept: a small addition
    bigger = [*first, p["d"]]
    assert _same(shared_hashes(merges, "all", bigger), bigger)
    assert len(list(merges.glob("*.npy"))) == 2  # a large addition is merged in and kept as the next base
    assert _same(shared_hashes(merges, "all", [*bigger, p["e"]]), [*bigger, p["e"]])  # on the new base
    removed = [p["b"], p["e"]]  # a part gone: merged whole
    assert _same(shared_hashes(merges, "all", removed), removed)
    assert _same(shared_hashes(merges, "kept", first), first)  # another column set
    assert len(list(merges.glob("*.npy"))) == 4  # three for "all", one for "kept"
    other = [p["d"], p["e"]]  # a fourth merge of "all": its oldest (the first) is deleted
    assert _same(shared_hashes(merges, "all", other), other)
    assert len(list(merges.glob("*.npy"))) == 4 and not set(kept) & set(merges.glob("*.npy"))


def test_a_damaged_kept_merge_is_merged_again(tmp_path: Path) -> None:
    p = _parts(tmp_path, {"a": 3000, "b": 3000, "c": 100}, seed=1)
    grown = [p["a"], p["b"], p["c"]]
    for i, damage in enumerate((lambda a: a[::-1], lambda a: a[:-1], lambda a: a.astype(np.int64) - 1)):
        merges = tmp_path / f"merged-{i}"  # unsorted, short, another type
        shared_hashes(merges, "all", [p["a"], p["b"]])
        (kept,) = merges.glob("*.npy")
        np.save(kept, damage(np.load(kept)).copy(), allow_pickle=False)
        assert _same(shared_hashes(merges, "all", grown), grown)
    (index,) = merges.glob("*.json")
    index.write_text('[{"parts": [["a"]], "file": "x.npy"}, {"parts": ["a"], "file": "../x.npy"}]')
    assert _same(shared_hashes(merges, "all", grown), grown)
