"""The ``files`` check: the integrity of a tree of files against its manifest.

Its figures come from the version itself (``integrity.json`` in the tree, written by the files
source), not from a GX expectation on the label table: a manifest row whose file is absent has no
row in that table. The counts: manifest rows whose file is absent, files without a manifest row,
files that do not decode as the format their name claims, files whose bytes repeat an earlier
file's; with sample paths and the formats. A tree without a manifest has no missing or unlisted
files to count: those figures are null and their limits unused.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from datavet.checks.base import CheckType
from datavet.checks.limits import Count, Severity, Strict
from datavet.figures.outcome import Outcome, check_max

NAME = "files"
COUNTS = ("missing_files", "unlisted_files", "unreadable_files", "duplicate_files")
NEEDS_MANIFEST = ("missing_files", "unlisted_files")


class FilesCheckSpec(Strict):
    """Integrity of a tree of files against its manifest (source.files)."""

    max_missing_files: Count | None = Field(
        default=0, description="Manifest rows whose file is not in the tree (null: no limit).")
    max_unlisted_files: Count | None = Field(
        default=0, description="Files in the tree without a manifest row (null: no limit).")
    max_unreadable_files: Count | None = Field(
        default=0, description="Files that do not decode as the format their name claims (null: no limit).")
    max_duplicate_files: Count | None = Field(
        default=0, description="Files whose bytes equal an earlier file's, by md5 (null: no limit).")
    severity: Severity = "error"


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


class Files(CheckType):
    name = NAME
    in_gx = False  # computed from the version's integrity figures (evaluate), not on the label table
    limit_keys = tuple(f"max_{c}" for c in COUNTS)
    spec_key = NAME
    spec_annotation = FilesCheckSpec | None
    spec_is_list = False

    def configurations(self, checks: Any, ctx: Any) -> list[dict[str, Any]]:
        return []

    def problems(self, spec: Any) -> list[str]:
        if spec.checks.files is not None and spec.source.files is None:
            return ["checks.files checks a tree of files: it needs source.files"]
        return []

    def evaluate(self, checks: Any, facts: dict[str, Any]) -> list[Any]:
        from datavet.report import CheckResult

        spec: FilesCheckSpec | None = checks.files
        if spec is None or "tree" not in facts:
            return []
        limits = spec.model_dump(exclude={"severity"})
        out = files_integrity(facts["tree"], limits)
        return [CheckResult(check=NAME, column="file", severity=spec.severity, success=out.success,
                            observed=out.observed, thresholds={k: v for k, v in limits.items() if v is not None},
                            failures=out.failures, violations=[v.as_json() for v in out.violations],
                            notes=out.notes)]

    def declare(self, result: Any, t: Any) -> None:
        """Nothing to declare: the counts are of files, not of people, and the sample paths were
        left out at the source when the spec marks the file column identifying or sensitive."""

    def metrics(self, result: Any, out: dict[str, Any]) -> None:
        out["files"] = {k: result.observed.get(k) for k in ("files", "bytes", *COUNTS)}
