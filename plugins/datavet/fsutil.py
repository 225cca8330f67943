"""Atomic file writes: a reader (or a crash) never sees half a certificate or datasheet."""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import time
from pathlib import Path


def new_temp_file(path: Path, suffix: str = ".tmp") -> tuple[int, str]:
    """An exclusive temp file beside ``path``, opened for writing, as ``(fd, name)``.

    Created with mode 0666 so the kernel applies the caller's umask, as for any tool's output
    (``tempfile.mkstemp`` makes 0600 whatever the umask: an auditor's account could not read it).
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    while True:
        tmp = os.path.join(path.parent, f".{path.name}.{secrets.token_hex(6)}{suffix}")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = new_temp_file(path)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = new_temp_file(dst)
    os.close(fd)
    try:
        shutil.copyfile(src, tmp)
        os.replace(tmp, dst)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def file_md5(path: Path, chunk: int = 1 << 20) -> str:
    """The md5 DVC records for a file (DVC 3 hashes the raw bytes)."""
    digest = hashlib.md5()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def file_digests(path: Path | str, chunk: int = 1 << 20) -> tuple[str, str]:
    """(md5, sha256) of a file, read once: DVC's content address and the identity a signature binds."""
    md5, sha = hashlib.md5(), hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            md5.update(block)
            sha.update(block)
    return md5.hexdigest(), sha.hexdigest()


_SETTLED: dict[tuple[int, int, int, int, int], tuple[str, str]] = {}
SETTLE_NS = 1_000_000_000  # on a file system that keeps whole seconds (ext3, HFS+), a second
SETTLE_FINE_NS = 20_000_000  # with nanosecond times, a few kernel clock ticks (at most 10 ms each)


def settled_md5(path: Path) -> str:
    """``file_md5``, remembered for this process while the file keeps its inode, size, mtime and
    ctime: each stage re-verifies the version it reads, and in one process (``datavet certify``)
    that would hash the same immutable cache object once per stage. Only a file whose times lie
    before the hashing began by more than the file system's time resolution is remembered: a write
    within the same tick could leave them as they were (git's "racily clean" rule)."""
    return settled_digests(path)[0]


def settled_digests(path: Path) -> tuple[str, str]:
    """(md5, sha256) of a file, remembered as :func:`settled_md5` remembers the md5: the stages of one
    ``datavet certify`` read each byte of the version once, the certify stage included (its sha256
    is of bytes hashed in this run, unchanged since: same inode, size, mtime and ctime)."""
    began = time.time_ns()
    info = os.stat(path)
    key = (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
    if key in _SETTLED:
        return _SETTLED[key]
    digests = file_digests(path)
    changed = max(info.st_mtime_ns, info.st_ctime_ns)
    if changed < began - settle_margin(changed) and os.stat(path).st_ctime_ns == info.st_ctime_ns:
        _SETTLED[key] = digests
    return digests


def settle_margin(changed_ns: int) -> int:
    """How long before the hashing a file's last change must lie: times in whole seconds tell of a
    file system that keeps no finer ones (a time landing on the second by chance just waits longer)."""
    return SETTLE_NS if changed_ns % 1_000_000_000 == 0 else SETTLE_FINE_NS
