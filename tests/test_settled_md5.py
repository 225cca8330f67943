"""The md5 a process remembers for a version's bytes: reused only while the file is provably the
one hashed, so a stage that re-verifies the version still sees any change."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

from datavet import fsutil
from datavet.fsutil import settled_md5


def _age(path: Path, seconds: float) -> None:
    """Backdate mtime; ctime follows the clock, so wait until it too lies past the settle window."""
    then = time.time() - seconds
    os.utime(path, (then, then))
    time.sleep(fsutil.SETTLE_NS / 1e9 + 0.1)


def test_a_settled_file_is_hashed_once_and_a_rewrite_is_seen(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "v.parquet"
    path.write_bytes(b"a" * 1000)
    _age(path, 60)
    calls = []
    real = fsutil.file_md5
    monkeypatch.setattr(fsutil, "file_md5", lambda p: calls.append(p) or real(p))
    assert settled_md5(path) == settled_md5(path) == hashlib.md5(b"a" * 1000).hexdigest()
    assert len(calls) == 1
    with open(path, "r+b") as fh:  # same size, and the old mtime put back: ctime still moves
        fh.write(b"b")
    _age(path, 60)
    assert settled_md5(path) == hashlib.md5(b"b" + b"a" * 999).hexdigest()
    assert len(calls) == 2


def test_a_file_written_just_now_is_not_remembered(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "fresh.parquet"
    path.write_bytes(b"x" * 10)
    calls = []
    real = fsutil.file_md5
    monkeypatch.setattr(fsutil, "file_md5", lambda p: calls.append(p) or real(p))
    settled_md5(path)
    settled_md5(path)
    assert len(calls) == 2
