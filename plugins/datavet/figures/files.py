"""Integrity of a tree of files against its manifest: the ``files`` check's figures and limits.

The counts come from the version itself (``integrity.json`` in the tree, written by the files
source): manifest rows whose file is absent, files without a manifest row, files that do not decode
as the format their name claims, and files whose bytes repeat an earlier file's. A tree without a
manifest has no missing or unlisted files to count: those figures are null and their limits unused.
"""

from __future__ import annotations

from typing import Any

from datavet.figures.outcome import Outcome, check_max

COUNTS = ("missing_files", "unlisted_files", "unreadable_files", "duplicate_files")
NEEDS_MANIFEST = ("missing_files", "unlisted_files")


def files_integrity(integrity: dict[str, Any], limits: dict[str, int | None]) -> Outcome:
    """``limits``: ``{"max_missing_files": n | None, ...}`` as in the spec's ``checks.files``."""
    no_manifest = integrity.get("manifest_rows") is None
    observed: dict[str, Any] = {
        "files": integrity["files"], "bytes": integrity["bytes"], "manifest_rows": integrity.get("manifest_rows"),
        **{name: (None if no_manifest and name in NEEDS_MANIFEST else integrity[name]) for name in COUNTS},
        "formats": dict(integrity.get("formats") or {}),
        "samples": integrity.get("samples") or {},
    }
    out = Outcome(observed=observed)
    if integrity.get("samples_withheld"):
        out.notes.append("sample paths withheld: the file column is identifying or sensitive in the spec")
    if no_manifest:
        out.notes.append("no manifest: missing and unlisted files are not defined, so not limited")
    for name in COUNTS:
        if not (no_manifest and name in NEEDS_MANIFEST):
            check_max(out, name, observed[name], f"max_{name}", limits.get(f"max_{name}"))
    return out
