"""A tree version as DVC 3 keeps a directory output: one object per file, plus a ``.dir`` object.

The ``.dir`` object is the JSON list ``[{"md5": ..., "relpath": ...}, ...]`` sorted by relpath and
dumped with sorted keys (``dvc_data.hashfile.tree.Tree.as_bytes``); its md5 with ``.dir`` appended
is the directory's identity, the one ``dvc add`` records. Writing it here lets a version enter the
DVC cache without ``dvc add`` (which would touch tracked files), and lets every file be verified on
its own: two versions that share a file share its cache object.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from datavet.fsutil import file_md5, settled_md5

DIR_SUFFIX = ".dir"


@dataclass(frozen=True)
class Entry:
    relpath: str  # posix path inside the tree
    md5: str


def is_tree(md5: str) -> bool:
    return md5.endswith(DIR_SUFFIX)


def dir_bytes(entries: Iterable[Entry]) -> bytes:
    """The ``.dir`` object's bytes, exactly as DVC 3 writes them."""
    listing = sorted(({"md5": e.md5, "relpath": e.relpath} for e in entries), key=lambda d: d["relpath"])
    return json.dumps(listing, sort_keys=True).encode("utf-8")


def tree_md5(entries: Iterable[Entry]) -> str:
    return hashlib.md5(dir_bytes(entries)).hexdigest() + DIR_SUFFIX


def parse_dir(data: bytes) -> list[Entry]:
    """Entries of a ``.dir`` object (raises ValueError on anything that is not one)."""
    listing = json.loads(data)
    if not isinstance(listing, list):
        raise ValueError("a .dir object is a JSON list")
    return [Entry(relpath=str(d["relpath"]), md5=str(d["md5"])) for d in listing]


def object_path(store: Path, md5: str) -> Path:
    """Where a DVC 3 cache or local remote (``store``) keeps an object."""
    return Path(object_file(store, md5))


def object_file(store: Path | str, md5: str) -> str:
    """``object_path`` as a string, for the loops over every file of a 100,000-file tree (building a
    Path per file would cost more than the file's stat)."""
    return f"{store}/files/md5/{md5[:2]}/{md5[2:]}"


def entries_of(folder: Path) -> list[Entry]:
    """Hash every file under ``folder`` (used for what datavet wrote itself, and by tests)."""
    return [Entry(p.relative_to(folder).as_posix(), file_md5(p))
            for p in sorted(folder.rglob("*")) if p.is_file()]


def store_object(store: Path, md5: str, src: Path | None = None, data: bytes | None = None, *,
                 link: bool = True) -> Path:
    """Put one object into ``store`` (read-only, as DVC does) unless an object of that size is there.

    With ``link``, a file from a staging folder on the same file system is hard-linked, not copied:
    the staging copy is datavet's own and is deleted after caching. A remote gets copies (a remote
    sharing the cache's inodes would not survive damage to the cache)."""
    target = object_path(store, md5)
    size = len(data) if data is not None else os.stat(src).st_size  # type: ignore[arg-type]
    try:
        if os.stat(target).st_size == size:
            return target
    except FileNotFoundError:
        pass
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        if data is not None:
            tmp.write_bytes(data)
        elif link:
            try:
                os.link(src, tmp)  # type: ignore[arg-type]
            except OSError:  # another file system: copy it
                shutil.copyfile(src, tmp)  # type: ignore[arg-type]
        else:
            shutil.copyfile(src, tmp)  # type: ignore[arg-type]
        os.chmod(tmp, 0o444)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def tree_size(store: Path, entries: list[Entry]) -> int:
    """Total bytes of a tree's files in ``store`` (string paths: 100,000 stats stay fast)."""
    return sum(os.stat(object_file(store, e.md5)).st_size for e in entries)


def cache_tree(store: Path, folder: Path, entries: list[Entry], staged: Iterable[str] | None = None) -> str:
    """Put every file of the tree and the ``.dir`` object into ``store``; returns the tree's md5.

    ``folder`` holds the entries named in ``staged`` (all of them when None); every other entry's
    object is in ``store`` already (its source saw it there). The ``.dir`` object is written last:
    its presence means the whole tree is there."""
    wanted = None if staged is None else set(staged)
    for entry in entries:
        if wanted is None or entry.relpath in wanted:
            store_object(store, entry.md5, src=folder / entry.relpath)
    md5 = tree_md5(entries)
    store_object(store, md5, data=dir_bytes(entries))
    return md5


def push_local(cache: Path, remote: Path, md5: str) -> int:
    """Copy version ``md5`` from the DVC cache into a local-directory remote, object for object as
    `dvc push` lays them out; returns how many objects were copied.

    The cache's objects were re-hashed by this certification (datavet.registry.identity) before the
    push; an object the remote holds already was not written by this push, so it is re-hashed too
    (in this process: fsutil.settled_md5, see :func:`hash_remote_copies`) and replaced when its bytes
    are not its name's (a damaged remote copy is never left to stand for a new version). A tree's
    ``.dir`` goes last (its presence means the whole tree is there)."""
    entries = read_tree(cache, md5) if is_tree(md5) else []
    if entries is None:
        raise FileNotFoundError(f"no intact listing of tree version {md5} in the DVC cache {cache}")
    copied = 0
    for name in [*(e.md5 for e in entries), md5]:
        target = object_file(remote, name)
        try:
            if settled_md5(Path(target)) == name.removesuffix(DIR_SUFFIX):
                continue
            os.unlink(target)  # damaged: replaced by the verified cache object below
        except FileNotFoundError:
            pass
        store_object(remote, name, src=object_path(cache, name), link=False)
        copied += 1
    return copied


def hash_remote_copies(cache: Path, remote: Path, md5: str) -> None:
    """Hash the copies a local remote already holds of version ``md5``'s files, remembered for this
    process while each keeps its inode, size and times (fsutil.settled_md5): ``datavet certify`` does
    it while GX imports, and the push's check of them reads nothing again unless they changed."""
    for entry in read_tree(cache, md5) or []:
        target = Path(object_file(remote, entry.md5))
        if target.is_file():
            settled_md5(target)


def pointer(md5: str, size: int, relpath: str, nfiles: int | None = None) -> dict:
    """The ``.dvc`` file DVC 3's `dvc add` writes for a file (or, with ``nfiles``, a directory)."""
    out: dict = {"md5": md5, "size": size}
    if nfiles is not None:
        out["nfiles"] = nfiles
    return {"outs": [{**out, "hash": "md5", "path": relpath}]}


def write_pointer(dvc_file: Path, pointer: dict) -> None:
    """Write a ``.dvc`` file and gitignore its output beside it, as `dvc add` does."""
    import yaml

    from datavet.fsutil import atomic_write_text

    atomic_write_text(dvc_file, yaml.safe_dump(pointer, sort_keys=False))
    rel = pointer["outs"][0]["path"]
    ignore = dvc_file.parent / ".gitignore"
    lines = ignore.read_text().splitlines() if ignore.exists() else []
    if f"/{rel}" not in lines:
        atomic_write_text(ignore, "\n".join([*lines, f"/{rel}"]) + "\n")


def read_tree(store: Path, md5: str) -> list[Entry] | None:
    """The entries of tree ``md5`` in ``store``; None if the ``.dir`` object is absent or not that tree.

    The bytes are read and hashed on every call; their parse is kept per md5 (the same bytes give the
    same entries), since the stages of one certification read a 100,000-file listing many times."""
    path = object_path(store, md5)
    if not path.is_file():
        return None
    data = path.read_bytes()
    if hashlib.md5(data).hexdigest() + DIR_SUFFIX != md5:
        return None
    if md5 not in _PARSED:
        try:
            if len(_PARSED) >= 2:  # two listings kept: the tree being certified and the one before it
                _PARSED.pop(next(iter(_PARSED)))
            _PARSED[md5] = parse_dir(data)
        except (ValueError, KeyError, TypeError):
            return None
    return list(_PARSED[md5])


_PARSED: dict[str, list[Entry]] = {}


def tree_problems(store: Path, md5: str, where: str, *, missing_ok: bool = False,
                  md5_of: Callable[[Path], str] = file_md5) -> list[str]:
    """Every object of the tree re-hashed (``md5_of``): names each file that is missing or whose
    bytes changed."""
    path = object_path(store, md5)
    if not path.is_file():
        return [] if missing_ok else [f"version {md5} (its .dir listing) is missing from the {where}"]
    entries = read_tree(store, md5)
    if entries is None:
        return [f"the .dir listing of version {md5} in the {where} ({path}) was altered"]
    problems = []
    for entry in entries:
        obj = object_path(store, entry.md5)
        if not obj.is_file():
            if not missing_ok:
                problems.append(f"{entry.relpath} (md5 {entry.md5}) is missing from the {where}")
            continue
        actual = md5_of(obj)
        if actual != entry.md5:
            problems.append(f"{entry.relpath} in the {where} ({obj}) hashes to {actual}, certified as {entry.md5}")
    return problems


def entries_of_files(folder: Path, relpaths: list[str]) -> list[Entry]:
    """Hash the named files of ``folder`` (the ones datavet wrote itself)."""
    return [Entry(rel, file_md5(folder / rel)) for rel in relpaths]
