"""``datavet export hf``: a certified version as a folder ready to upload to a Hugging Face dataset
repository, written without any network access.

The folder holds the certified Markdown card as ``README.md`` (byte-identical to the one the
certificate hashes, so ``datavet verify README.md`` still passes; its front matter is Hugging Face
dataset-card metadata), the certified Parquet bytes under ``data/`` (the Hub reads one file there
as the train split; a splits version: each split's member as ``data/<split>.parquet``, named by the
card's ``configs``) and the certificate. The version is verified first; a version that no longer
matches its certificate is never exported.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from datavet.errors import DatavetError, VerificationError
from datavet.fsutil import file_md5
from datavet.registry import Registry
from datavet.registry.verify import committed_certificate, resolve_tag, verify_version
from datavet.settings import Settings
from datavet.spec import LoadedSpec


def _data_files(registry: Registry, name: str, tag: str, md5: str) -> dict[str, tuple[Path, str]]:
    """{kind: (path in the folder, md5)}: the version's Parquet file, or each split's member of a splits
    version (``data/<split>.parquet``, as the card's ``configs`` name them)."""
    from datavet.registry import dvctree

    if not dvctree.is_tree(md5):
        return {"data": (Path("data") / f"{name}.parquet", md5)}
    from datavet.sources.base import TABLE_FILE
    from datavet.sources.splits import SPLITS_FILE

    entries = registry.tree_entries(md5)
    members = [e for e in entries if e.relpath.endswith(".parquet") and "/" not in e.relpath
               and e.relpath != TABLE_FILE]
    if not any(e.relpath == SPLITS_FILE for e in entries) or not members:
        raise DatavetError(f"{tag} is a tree of files; the Hugging Face export writes tables", dataset=name,
                           fix="use datavet.open_certified to read the files")
    return {f"data:{e.relpath.removesuffix('.parquet')}": (Path("data") / e.relpath, e.md5) for e in members}


def export_hf(loaded: LoadedSpec, settings: Settings, out: Path, version: str | None = None) -> dict[str, Path]:
    """Write the upload folder for a certified version (the latest if None); all or nothing."""
    name = loaded.spec.name
    out = Path(out).resolve()
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise DatavetError(f"{out} exists and is not an empty folder", dataset=name,
                           fix="name a new or empty folder for the export")
    registry = Registry.of(settings)
    tag = resolve_tag(registry, name, version)
    result = verify_version(registry, name, tag)
    if not result.ok:
        raise VerificationError("the version no longer matches its certificate; not exported:\n"
                                + "\n".join(f"  - {p}" for p in result.problems), dataset=name,
                                fix="run `datavet verify` and restore the registry first")
    cert = committed_certificate(registry, name, tag)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    data = _data_files(registry, name, tag, cert.md5)
    files = {"card": Path("README.md"), **{kind: rel for kind, (rel, _) in data.items()},
             "certificate": Path("certificate.json")}
    try:
        (tmp / files["card"]).write_bytes(registry.show(tag, registry.datasheet_dir(name) / "datasheet.md"))
        (tmp / files["certificate"]).write_bytes(registry.show(tag, registry.certificate_path(name, cert.md5)))
        (tmp / "data").mkdir()
        for rel, md5 in data.values():
            shutil.copyfile(registry.bytes_path(md5), tmp / rel)
            if file_md5(tmp / rel) != md5:  # copied bytes changed underneath us
                raise VerificationError(f"the copied {rel} does not hash to {md5}", dataset=name,
                                        fix="run `datavet verify` on the registry, then export again")
        for path in tmp.rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        if out.exists():
            out.rmdir()
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return {kind: out / rel for kind, rel in files.items()}
