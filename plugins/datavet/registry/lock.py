"""The registry's one lock, as DVC's ``repo/`` has one: an inter-process file lock per registry (and,
for a version's staging folder, per dataset), re-entrant within a thread.

``locking`` decorates every Registry method that changes the workspace, git or the DVC cache and
remote; a stage that needs several steps to be one critical section holds the same lock around them
(``with registry.locked():``), and the methods it calls then re-enter it without waiting on themselves.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from datavet.errors import RegistryError

F = TypeVar("F", bound=Callable[..., Any])
_HELD: dict[tuple[str, int], int] = {}  # (lock file, thread) -> depth, in this process


@contextlib.contextmanager
def hold(lock_path: Path, timeout: float, what: str) -> Iterator[None]:
    """Hold ``lock_path`` exclusively (waiting up to ``timeout`` seconds for another process)."""
    key = (str(lock_path), threading.get_ident())  # re-entrant for this thread only
    if _HELD.get(key):
        _HELD[key] += 1
        try:
            yield
        finally:
            _HELD[key] -= 1
        return
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout
    with open(lock_path, "a+") as fh:
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise RegistryError(f"{what} stayed locked for {timeout:.0f}s",
                                        fix="another datavet run holds it; wait or raise DATAVET_LOCK_TIMEOUT"
                                        ) from None
                time.sleep(0.2)
        _HELD[key] = 1
        try:
            yield
        finally:
            _HELD.pop(key, None)
            fcntl.flock(fh, fcntl.LOCK_UN)


def locking(method: F) -> F:
    """Run a Registry method under the registry lock (DVC's ``@locked``)."""

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        with self.locked():
            return method(self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]
