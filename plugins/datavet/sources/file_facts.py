"""Facts about one file of a tree (format, readability, image size), computed once per content.

A file's format is what its bytes say (their signature), not its name; a file is *unreadable* when it
is empty, when its bytes are not the format its name claims (text named ``.jpg``), or when an image
does not decode completely with Pillow (a truncated JPEG). Facts depend only on the bytes and the
name's extension, so they are cached by (md5, extension) in a small SQLite file under the settings'
home, and the md5 itself by (path, size, mtime, inode) as DVC's own state database does: a second
version that adds 1 % of the files reads and decodes only that 1 %.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from datavet.sources.audio_facts import AUDIO_FORMATS, AudioFacts, audio_facts
from datavet.sources.image_facts import Decoded, ImageFacts, decoded, finish
from datavet.sources.text_facts import TextFacts, file_text_facts, parse_scripts

# extension -> the format it claims; kinds: image (decoded with Pillow), audio/other (signature only)
CLAIMED = {
    ".jpg": "jpeg", ".jpeg": "jpeg", ".png": "png", ".gif": "gif", ".bmp": "bmp", ".webp": "webp",
    ".tif": "tiff", ".tiff": "tiff", ".wav": "wav", ".flac": "flac", ".mp3": "mp3", ".ogg": "ogg",
    ".txt": "text", ".csv": "text", ".json": "text",
}
IMAGE_FORMATS = {"jpeg", "png", "gif", "bmp", "webp", "tiff"}
SIGNATURE_BYTES = 16
POOL_MIN = 256  # fewer new files than this: a pool's start-up (a fresh interpreter) costs more than it saves
CHUNK = 64  # files per task sent to a worker: few messages, and the order kept cheaply
LUMA_BATCH = 1 << 18  # luma pixels (bytes) of decoded images whose sums are computed together: a few faces
log = logging.getLogger(__name__)


def sniff(head: bytes) -> str:
    """The format the first bytes of a file show ("empty", "text" or "unknown" when none)."""
    if not head:
        return "empty"
    signatures = (
        (b"\xff\xd8\xff", "jpeg"), (b"\x89PNG\r\n\x1a\n", "png"), (b"GIF87a", "gif"), (b"GIF89a", "gif"),
        (b"BM", "bmp"), (b"II*\x00", "tiff"), (b"MM\x00*", "tiff"), (b"fLaC", "flac"), (b"OggS", "ogg"),
        (b"ID3", "mp3"), (b"\xff\xfb", "mp3"), (b"\xff\xf3", "mp3"), (b"\xff\xf2", "mp3"),
    )
    for magic, fmt in signatures:
        if head.startswith(magic):
            return fmt
    if head.startswith(b"RIFF") and len(head) >= 12:
        return {b"WEBP": "webp", b"WAVE": "wav"}.get(head[8:12], "unknown")
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:  # a multi-byte character cut at the end of the sample is fine
            return "unknown"
    return "text"


@dataclass(frozen=True)
class FileFacts:
    file_format: str  # what the bytes are
    readable: bool
    problem: str | None  # why not readable
    image_width: int | None = None
    image_height: int | None = None
    image: ImageFacts | None = None  # what is inside a readable image (datavet.sources.image_facts)
    audio: AudioFacts | None = None  # what is inside readable audio (datavet.sources.audio_facts)
    text: TextFacts | None = None  # what is in a UTF-8 text file (datavet.sources.text_facts)


def compute_facts(path: Path, suffix: str, inside: bool = True, audio: bool = False, text: bool = False
                  ) -> FileFacts:
    """Read (and for images, fully decode) one file; ``inside``: also what is in the image (its
    content facts, from the same decode), which only the checks that read them ask for; ``audio``:
    decode audio too (then audio that does not decode is unreadable) for its content facts; ``text``:
    read a text file whole as UTF-8 for its text facts (then one that is not UTF-8 is unreadable)."""
    return compute_batch([(str(path), suffix, inside, audio, text)])[0]


def compute_batch(tasks: Sequence[tuple[str, str, bool, bool, bool]]) -> list[FileFacts]:
    """``compute_facts`` of each (path, suffix, inside, audio, text), in order. An image's luma is
    kept from its decode (``image_facts.decoded``) and its sums, Laplacian and pHash are computed
    together with the next images' (``image_facts.finish``), up to ``LUMA_BATCH`` pixels at a time."""
    out: list = []
    waiting: list[int] = []  # positions in ``out`` of decoded images not finished yet
    pixels = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Pillow warns on odd EXIF; decoding decides
        for path, suffix, inside, audio, text in tasks:
            found = _first_pass(path, suffix, inside, audio, text)
            out.append(found)
            if isinstance(found, _Decoded):
                waiting.append(len(out) - 1)
                pixels += found.width * found.height
                if pixels >= LUMA_BATCH:
                    _finish(out, waiting)
                    pixels = 0
    _finish(out, waiting)
    return out


class _Decoded(NamedTuple):
    file_format: str
    width: int
    height: int
    image: Decoded


def _finish(out: list, waiting: list[int]) -> None:
    """Replace the decoded images at ``waiting`` in ``out`` by their facts; empty ``waiting``."""
    for i, content in zip(waiting, finish([out[i].image for i in waiting]), strict=True):
        out[i] = FileFacts(out[i].file_format, True, None, out[i].width, out[i].height, content)
    waiting.clear()


def _first_pass(path: str, suffix: str, inside: bool, audio: bool, text: bool) -> FileFacts | _Decoded:
    """A file's facts, or for an image with ``inside``, what needs its decode (``_Decoded``). The path
    is a string: a ``Path`` made per file costs more than a tenth of a small JPEG's decode."""
    with open(path, "rb") as fh:  # one open: the signature, then the image decoded from it
        fmt = sniff(fh.read(SIGNATURE_BYTES))
        claimed = CLAIMED.get(suffix.lower())
        if fmt == "empty":
            return FileFacts("empty", False, "the file is empty (0 bytes)")
        if claimed is not None and fmt != claimed:
            return FileFacts(fmt, False, f"named {suffix} but its bytes are {fmt}")
        if fmt in IMAGE_FORMATS:
            fh.seek(0)
            return _decode_image(fh, fmt, inside)
    if audio and fmt in AUDIO_FORMATS:
        try:
            return FileFacts(fmt, True, None, audio=audio_facts(Path(path)))
        except (RuntimeError, OSError, ValueError) as exc:  # soundfile.LibsndfileError is a RuntimeError
            why = getattr(exc, "error_string", None) or str(exc).replace(path, "the file")  # no paths
            return FileFacts(fmt, False, f"does not decode as {fmt}: {why}")
    if text and fmt == "text":
        try:
            return FileFacts(fmt, True, None, text=file_text_facts(Path(path)))
        except UnicodeDecodeError as exc:
            return FileFacts(fmt, False, f"is not UTF-8 text: {exc.reason} in a block of the file")
    return FileFacts(fmt, True, None)


def _decode_image(fh, fmt: str, inside: bool) -> FileFacts | _Decoded:
    """Decode an image whole from its open file (a truncated one fails in ``load``)."""
    from PIL import Image

    try:
        with Image.open(fh) as img:
            width, height = img.size
            img.load()  # decodes every pixel: a truncated file fails here
            content = decoded(img) if inside else None  # from this one decode
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        why = str(exc).replace(repr(fh), "the file").replace(repr(fh.name), "the file")  # no staging/cache path
        return FileFacts(fmt, False, f"does not decode as {fmt}: {why}")
    if content is None:
        return FileFacts(fmt, True, None, width, height)
    return _Decoded(fmt, width, height, content)


def tune_memory() -> None:
    """In a worker process of ours (never the caller's): keep freed heap memory instead of handing it
    back to the kernel after every image. With glibc's defaults each image's buffers (Pillow's and
    numpy's, a few hundred KiB) are mapped or grown and then trimmed again, and the page faults of
    the next image cost about as much as the Laplacian's arithmetic. No-op without glibc."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(-1, 256 << 20)  # M_TRIM_THRESHOLD: keep up to 256 MiB of free heap
        libc.mallopt(-3, 32 << 20)  # M_MMAP_THRESHOLD: buffers up to 32 MiB come from the heap
    except (OSError, AttributeError):
        pass


def facts_pool(workers: int):
    """A pool of ``workers`` processes for ``compute_batch``: from a fork server (a process forked from a
    threaded Airflow task or DVC could inherit a held lock), their memory tuned (``tune_memory``)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return ProcessPoolExecutor(workers, mp_context=context, initializer=tune_memory)


def compute_many(jobs: Sequence[tuple[str, str]], inside: bool = True, workers: int | None = None,
                 audio: bool = False, text: bool = False) -> Iterator[FileFacts]:
    """The facts of many (path, suffix), in order: in a pool of ``workers`` processes (default: every
    core; ``facts_pool``) when there are enough of them, else here. Where no process may be started
    (a daemonic worker, a sandbox), the files are done here, one by one; so are the rest when the
    workers die (killed, out of memory; a pool never hangs on a dead worker)."""
    workers = workers or os.cpu_count() or 1
    tasks = [(str(path), suffix, inside, audio, text) for path, suffix in jobs]
    done = 0  # results yielded
    if workers > 1 and len(tasks) >= POOL_MIN:
        from concurrent.futures.process import BrokenProcessPool

        try:
            pool = facts_pool(min(workers, -(-len(tasks) // CHUNK)))
            results = pool.map(compute_batch, _chunks(tasks))
        except (AssertionError, OSError, ValueError) as exc:  # AssertionError: a daemonic process
            log.info("file facts in this process (no worker processes: %s)", exc)
        else:
            try:
                for chunk in results:
                    yield from chunk
                    done += len(chunk)
            except BrokenProcessPool:  # killed, out of memory, or a main module that starts work on import
                log.warning("file facts: the worker processes died after %d of %d files; the rest in this process",
                            done, len(tasks))
            finally:
                pool.shutdown(wait=True, cancel_futures=True)
    for chunk in _chunks(tasks[done:]):
        yield from compute_batch(chunk)


def _chunks(tasks: list) -> list[list]:
    return [tasks[i:i + CHUNK] for i in range(0, len(tasks), CHUNK)]


FACTS_DB = "file-facts.sqlite"  # under Settings.memo_dir


class FactsCache:
    """SQLite: facts by content. Safe to delete (it is only a cache)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(path, timeout=60)
        self.conn.executescript(
            "DROP TABLE IF EXISTS state;"  # md5s by file state: datavet.sources.file_state now
            "CREATE TABLE IF NOT EXISTS facts (md5 TEXT, suffix TEXT, format TEXT, readable INTEGER,"
            " problem TEXT, width INTEGER, height INTEGER, PRIMARY KEY (md5, suffix));"
            # added later, so a table of its own: a cache from before has file facts without these; _v2
            # since the pHash reduces first, _v3 since its resize is not rounded to 8 bits
            # (datavet.sources.image_facts): hashes of an older table are not compared
            "CREATE TABLE IF NOT EXISTS images_v3 (md5 TEXT, suffix TEXT, aspect REAL, luma_mean REAL, contrast REAL,"
            " sharpness REAL, grayscale INTEGER, exif_gps INTEGER, phash TEXT, PRIMARY KEY (md5, suffix));"
            "CREATE TABLE IF NOT EXISTS audio (md5 TEXT, suffix TEXT, duration REAL, sample_rate INTEGER,"
            " channels INTEGER, loudness_dbfs REAL, PRIMARY KEY (md5, suffix));"
            "CREATE TABLE IF NOT EXISTS texts (md5 TEXT, suffix TEXT, chars INTEGER, scripts TEXT,"
            " PRIMARY KEY (md5, suffix));")

    def facts_of(self, keys: set[tuple[str, str]], inside: bool = True, audio: bool = False, text: bool = False
                 ) -> dict[tuple[str, str], FileFacts]:
        """The facts known for these (md5, lower-case suffix) pairs, joined in SQLite in one query; with
        ``inside`` (``audio``), a readable image (audio file) whose content facts are not known yet is
        not known: nor is an audio file known only as readable by its signature (``text``: likewise)."""
        self.conn.execute("CREATE TEMP TABLE IF NOT EXISTS wanted (md5 TEXT, suffix TEXT)")
        self.conn.execute("DELETE FROM wanted")
        self.conn.executemany("INSERT INTO wanted VALUES (?, ?)", sorted(keys))
        rows = self.conn.execute(
            "SELECT f.md5, f.suffix, format, readable, problem, width, height, i.md5, aspect, luma_mean, contrast,"
            " sharpness, grayscale, exif_gps, phash, a.md5, duration, sample_rate, channels, loudness_dbfs,"
            " t.md5, chars, scripts"
            " FROM facts f JOIN wanted w ON f.md5 = w.md5 AND f.suffix = w.suffix"
            " LEFT JOIN images_v3 i ON i.md5 = f.md5 AND i.suffix = f.suffix"
            " LEFT JOIN audio a ON a.md5 = f.md5 AND a.suffix = f.suffix"
            " LEFT JOIN texts t ON t.md5 = f.md5 AND t.suffix = f.suffix")
        out = {}
        for r in rows:
            image = None
            if r[7] is not None:
                image = ImageFacts(r[8], r[9], r[10], r[11], bool(r[12]), bool(r[13]), r[14])
            elif inside and r[3] and r[2] in IMAGE_FORMATS:
                continue
            sound = None if r[15] is None else AudioFacts(r[16], r[17], r[18], r[19])
            if audio and sound is None and r[2] in AUDIO_FORMATS and r[3]:
                continue  # readable by its signature only so far: decode it now
            words = None if r[20] is None else TextFacts(r[21], parse_scripts(r[22]))
            if text and words is None and r[2] == "text" and r[3]:
                continue
            out[(r[0], r[1])] = FileFacts(r[2], bool(r[3]), r[4], r[5], r[6], image, sound, words)
        return out

    def remember_facts(self, md5: str, suffix: str, facts: FileFacts) -> None:
        self.conn.execute("INSERT OR REPLACE INTO facts VALUES (?, ?, ?, ?, ?, ?, ?)",
                          (md5, suffix.lower(), facts.file_format, int(facts.readable), facts.problem,
                           facts.image_width, facts.image_height))
        if facts.image is not None:
            self.conn.execute("INSERT OR REPLACE INTO images_v3 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                              (md5, suffix.lower(), *facts.image.row()))
        if facts.audio is not None:
            self.conn.execute("INSERT OR REPLACE INTO audio VALUES (?, ?, ?, ?, ?, ?)",
                              (md5, suffix.lower(), *facts.audio.row()))
        if facts.text is not None:
            self.conn.execute("INSERT OR REPLACE INTO texts VALUES (?, ?, ?, ?)",
                              (md5, suffix.lower(), *facts.text.row()))

    def commit(self) -> None:
        self.conn.commit()


@contextlib.contextmanager
def facts_cache(path: Path) -> Iterator[FactsCache]:
    cache = FactsCache(path)
    try:
        yield cache
        cache.commit()
    finally:
        cache.conn.close()
