"""``datavet export hf``: a certified version as a folder ready to upload to a Hugging Face dataset
repository, written without any network access.

The folder holds the certified Markdown card as ``README.md`` (byte-identical to the one the
certificate hashes, so ``datavet verify README.md`` still passes; its front matter is Hugging Face
dataset-card metadata), the certified Parquet bytes under ``data/`` (the Hub reads one file there
as the train split) and the certificate. The version is verified first; a version that no longer
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
    files = {"card": Path("README.md"), "data": Path("data") / f"{name}.parquet",
             "certificate": Path("certificate.json")}
    try:
        (tmp / files["card"]).write_bytes(registry.show(tag, registry.datasheet_dir(name) / "datasheet.md"))
        (tmp / files["certificate"]).write_bytes(registry.show(tag, registry.certificate_path(name, cert.md5)))
        (tmp / "data").mkdir()
        shutil.copyfile(registry.bytes_path(cert.md5), tmp / files["data"])
        if file_md5(tmp / files["data"]) != cert.md5:  # copied bytes changed underneath us
            raise VerificationError(f"the copied data does not hash to {cert.md5}", dataset=name,
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
