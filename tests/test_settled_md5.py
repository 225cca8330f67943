"""The md5 a process remembers for a version's bytes: reused only while the file is provably the
one hashed, so a stage that re-verifies the version still sees any change."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

from datavet import fsutil
from datavet.fsutil import SETTLE_FINE_NS, SETTLE_NS, settle_margin, settled_md5


def _counting(monkeypatch) -> list:
    calls: list = []
    real = fsutil.file_digests
    monkeypatch.setattr(fsutil, "file_digests", lambda p: calls.append(p) or real(p))
    return calls


def _settle(path: Path, seconds: float = 60) -> None:
    """Backdate mtime; ctime follows the clock, so wait until it too lies past the settle window."""
    then = time.time() - seconds
    os.utime(path, (then, then))
    time.sleep(SETTLE_FINE_NS / 1e9 * 3)


def test_a_settled_file_is_hashed_once_and_a_rewrite_is_seen(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "v.parquet"
    path.write_bytes(b"a" * 1000)
    _settle(path)
    calls = _counting(monkeypatch)
    assert settled_md5(path) == settled_md5(path) == hashlib.md5(b"a" * 1000).hexdigest()
    assert len(calls) == 1
    with open(path, "r+b") as fh:  # same size, and the old mtime put back below: ctime still moves
        fh.write(b"b")
    _settle(path)
    assert settled_md5(path) == hashlib.md5(b"b" + b"a" * 999).hexdigest()
    assert len(calls) == 2


def test_a_file_hashed_in_the_tick_it_was_written_is_not_remembered(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "fresh.parquet"
    path.write_bytes(b"x" * 10)
    written = os.stat(path).st_ctime_ns
    monkeypatch.setattr(fsutil.time, "time_ns", lambda: written)
    calls = _counting(monkeypatch)
    settled_md5(path)
    settled_md5(path)
    assert len(calls) == 2


def test_whole_second_times_wait_a_second() -> None:
    assert settle_margin(1_700_000_000 * 10**9) == SETTLE_NS
    assert settle_margin(1_700_000_000 * 10**9 + 123_456_789) == SETTLE_FINE_NS


def test_the_certify_stage_reuses_the_digests_of_an_unchanged_file(tmp_path: Path, monkeypatch) -> None:
    """One read gives md5 and sha256: a later stage's sha256 (certify) reads nothing again, until a change."""
    path = tmp_path / "part.parquet"
    path.write_bytes(b"p" * 5000)
    _settle(path)
    calls = _counting(monkeypatch)
    assert settled_md5(path) == hashlib.md5(b"p" * 5000).hexdigest()
    assert fsutil.settled_digests(path) == (hashlib.md5(b"p" * 5000).hexdigest(),
                                            hashlib.sha256(b"p" * 5000).hexdigest())
    assert len(calls) == 1
    os.link(path, tmp_path / "linked")  # a new link moves the ctime: hashed again
    assert fsutil.settled_digests(path)[1] == hashlib.sha256(b"p" * 5000).hexdigest()
    assert len(calls) == 2
