"""A source file's md5 remembered between runs by the file's state, as DVC's state database and git's
index remember a workspace file's: device, inode, size, mtime and ctime.

A rewrite changes the ctime, which no user can set back (``touch -d`` sets the mtime alone), so a
file rewritten in place with its size and mtime restored is hashed again. A file changed less than
a clock tick before it was hashed could change again within the same tick unseen (git's "racy"
files), so it is not remembered (:func:`datavet.fsutil.settle_margin`). The memo lives under
``Settings.memo_dir``, never in the registry. Deleting it costs a re-read, nothing else.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

STATE_DB = "file-state.sqlite"
COMMIT_EVERY = 1000  # remembered files per transaction: a writer holds the database's lock until it commits

Stamp = tuple[int, int, int, int, int]


def stamp(info: os.stat_result) -> Stamp:
    """What a file's md5 is remembered by: (device, inode, size, mtime_ns, ctime_ns)."""
    return info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns


class FileStates:
    """The md5 of files by their path and :func:`stamp` (SQLite, one table)."""

    def __init__(self, memo: Path) -> None:
        memo.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(memo / STATE_DB, timeout=60)
        self.conn.execute("CREATE TABLE IF NOT EXISTS states (path TEXT PRIMARY KEY, dev INTEGER, inode INTEGER,"
                          " size INTEGER, mtime_ns INTEGER, ctime_ns INTEGER, md5 TEXT)")
        self.conn.commit()
        self._unsaved = 0

    def under(self, root: Path | str) -> dict[str, tuple[Stamp, str]]:
        """(stamp, md5) of every file remembered under ``root``, in one range query (a query per file
        would cost more than the stat it saves)."""
        rows = self.conn.execute("SELECT path, dev, inode, size, mtime_ns, ctime_ns, md5 FROM states"
                                 " WHERE path >= ? AND path < ?", (f"{root}/", f"{root}0"))  # '0' sorts after '/'
        return {row[0]: (tuple(row[1:6]), row[6]) for row in rows}

    def remember(self, path: Path | str, info: os.stat_result, md5: str, hashed_from_ns: int) -> None:
        """Remember ``md5`` of the file at ``path`` in state ``info`` (taken before it was read from
        ``hashed_from_ns`` on), unless it changed too close to that to be told apart from a later change."""
        from datavet.fsutil import settle_margin

        changed = max(info.st_mtime_ns, info.st_ctime_ns)
        if changed < hashed_from_ns - settle_margin(changed):
            self.conn.execute("INSERT OR REPLACE INTO states VALUES (?, ?, ?, ?, ?, ?, ?)",
                              (str(path), *stamp(info), md5))
            self._unsaved += 1
            if self._unsaved >= COMMIT_EVERY:  # short transactions: other datasets' runs write here too
                self.conn.commit()
                self._unsaved = 0

    def md5_of(self, path: Path, file_md5: Callable[[Path], str]) -> str:
        """The md5 of the file at ``path``: remembered while its state is unchanged, else ``file_md5``'s."""
        real = os.path.realpath(path)
        began = time.time_ns()
        info = os.stat(real)
        row = self.conn.execute("SELECT dev, inode, size, mtime_ns, ctime_ns, md5 FROM states WHERE path = ?",
                                (real,)).fetchone()
        if row is not None and tuple(row[:5]) == stamp(info):
            return row[5]
        md5 = file_md5(Path(real))
        self.remember(real, info, md5, began)
        return md5


@contextlib.contextmanager
def file_states(memo: Path) -> Iterator[FileStates]:
    """The memo under ``memo`` (``Settings.memo_dir``), committed and closed on leaving."""
    states = FileStates(memo)
    try:
        yield states
        states.conn.commit()
    finally:
        states.conn.close()
