"""The md5 of a file computed while it is being written, on a thread of its own.

The version stage's writer appends (pyarrow writes a Parquet file front to back and never goes back),
so a reader that follows it sees every byte once, in order. Hashing behind the writer puts the md5's
pass into the time the version is written, on a core the parse and encode threads leave idle part
of the time, instead of a second pass over the finished file. It reads the bytes the file system
holds, not the writer's buffers, so the md5 is that of the file as stored.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

BLOCK = 1 << 20
POLL_SECONDS = 0.02


class HashBehind(threading.Thread):
    """``start()`` once the file exists; ``finish()`` after its writer closed it returns its md5."""

    def __init__(self, path: Path) -> None:
        super().__init__(name="datavet-version-md5", daemon=True)
        self.path = path
        self._closed = threading.Event()
        self._md5: str | None = None
        self._error: BaseException | None = None

    def run(self) -> None:
        try:
            digest = hashlib.md5()
            with open(self.path, "rb") as fh:
                while True:
                    block = fh.read(BLOCK)
                    if block:
                        digest.update(block)  # releases the GIL on large blocks
                    elif self._closed.is_set():
                        while block := fh.read(BLOCK):  # what was written before the close
                            digest.update(block)
                        break
                    else:
                        self._closed.wait(POLL_SECONDS)
            self._md5 = digest.hexdigest()
        except BaseException as exc:  # raised in the caller's thread by finish()
            self._error = exc

    def finish(self) -> str:
        """The md5 of the whole file (call after the writer closed it)."""
        self.stop()
        if self._error is not None:
            raise self._error
        assert self._md5 is not None
        return self._md5

    def stop(self) -> None:
        """Let the thread read to the end and end (also when the write failed)."""
        self._closed.set()
        if self.is_alive():
            self.join()
