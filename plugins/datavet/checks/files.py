"""The ``files`` check: the integrity of a tree of files against its manifest.

Its figures come from the version itself (``integrity.json`` in the tree, written by the files
source), not from a GX expectation on the label table: a manifest row whose file is absent has no
row in that table. The counts: manifest rows whose file is absent, files without a manifest row,
files that do not decode as the format their name claims, files whose bytes repeat an earlier
file's, such duplicates whose labels differ (label conflicts), files whose path ``labels_from_path``
does not match; with sample paths and the formats. A tree without a manifest has no missing or
unlisted files to count: those figures are null and their limits unused. Only the limits a spec
gives are checked, each at its own severity.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from datavet.checks.base import CheckType
from datavet.checks.limits import Count, Severity, Strict
from datavet.figures.outcome import Outcome, check_max

NAME = "files"
COUNTS = ("missing_files", "unlisted_files", "unreadable_files", "duplicate_files", "label_conflicts",
          "unmatched_files")
NEEDS_MANIFEST = ("missing_files", "unlisted_files")
LIMITS = tuple(f"max_{c}" for c in COUNTS)


class Limit(Strict):
    """A limit with its own severity."""

    max: Count = Field(description="The largest count allowed.")
    severity: Severity | None = Field(default=None, description="error (blocks certification) or warning; "
                                                                "default: the check's severity.")


LimitValue = Count | Limit | None


def _limit(description: str) -> Any:
    return Field(default=None, description=f"{description} A count, or {{max: n, severity: warning}}; "
                                           "omitted or null: not checked.")


class FilesCheckSpec(Strict):
    """Integrity of a tree of files against its manifest (source.files). Only the limits given are
    checked, each at its own severity (default: ``severity``)."""

    max_missing_files: LimitValue = _limit("Manifest rows whose file is not in the tree.")
    max_unlisted_files: LimitValue = _limit("Files in the tree without a manifest row.")
    max_unreadable_files: LimitValue = _limit("Files that do not decode as the format their name claims.")
    max_duplicate_files: LimitValue = _limit("Files whose bytes equal an earlier file's, by md5.")
    max_label_conflicts: LimitValue = _limit("Files whose bytes equal an earlier file's but whose labels differ.")
    max_unmatched_files: LimitValue = _limit("Files whose path source.labels_from_path does not match (their "
                                             "path labels are empty).")
    severity: Severity = "error"

    def limits(self) -> dict[str, tuple[int, str]]:
        """{limit key: (max, severity)} of the limits given."""
        out: dict[str, tuple[int, str]] = {}
        for key in LIMITS:
            value = getattr(self, key)
            if isinstance(value, Limit):
                out[key] = (value.max, value.severity or self.severity)
            elif value is not None:
                out[key] = (int(value), self.severity)
        return out


def files_integrity(integrity: dict[str, Any], limits: dict[str, int | None],
                    severities: dict[str, str] | None = None) -> Outcome:
    """``limits``: ``{"max_missing_files": n | None, ...}``; ``severities``: the severity of each limit
    (a violated warning-severity limit is marked so in its text)."""
    no_manifest = integrity.get("manifest_rows") is None
    observed: dict[str, Any] = {
        "files": integrity["files"], "bytes": integrity["bytes"], "manifest_rows": integrity.get("manifest_rows"),
        **{name: (None if no_manifest and name in NEEDS_MANIFEST else integrity.get(name)) for name in COUNTS},
        "formats": dict(integrity.get("formats") or {}),
        "samples": integrity.get("samples") or {},
    }
    if observed["unmatched_files"] is None and integrity.get("unmatched_path_labels") is not None:
        observed["unmatched_files"] = integrity["unmatched_path_labels"]  # a version written before the rename
    out = Outcome(observed=observed)
    if integrity.get("samples_withheld"):
        out.notes.append("sample paths withheld: the file column is identifying or sensitive in the spec")
    if no_manifest:
        out.notes.append("no manifest: missing and unlisted files are not defined, so not limited")
    for name in COUNTS:
        key = f"max_{name}"
        if (no_manifest and name in NEEDS_MANIFEST) or limits.get(key) is None:
            continue
        if name == "unmatched_files" and observed[name] is None:
            out.notes.append("no labels_from_path: every file's name is used as it is, so max_unmatched_files "
                             "is not checked")
            continue
        before = len(out.violations)
        check_max(out, name, observed[name], key, limits[key])
        if (severities or {}).get(key) == "warning":
            for v in out.violations[before:]:
                v.suffix += " (warning)"
    return out


class Files(CheckType):
    name = NAME
    in_gx = False  # computed from the version's integrity figures (evaluate), not on the label table
    limit_keys = LIMITS
    spec_key = NAME
    spec_annotation = FilesCheckSpec | None
    spec_is_list = False

    def configurations(self, checks: Any, ctx: Any) -> list[dict[str, Any]]:
        return []

    def problems(self, spec: Any) -> list[str]:
        if spec.checks.files is not None and not spec.source.has_files:
            return ["checks.files checks a tree of files: it needs source.files"]
        return []

    def evaluate(self, checks: Any, facts: dict[str, Any]) -> list[Any]:
        from datavet.report import CheckResult

        spec: FilesCheckSpec | None = checks.files
        if spec is None or "tree" not in facts:
            return []
        given = spec.limits()
        limits = {k: m for k, (m, _) in given.items()}
        severities = {k: sev for k, (_, sev) in given.items()}
        mixed = len(set(severities.values())) > 1  # else the result's own severity says it for every limit
        out = files_integrity(facts["tree"], limits, severities if mixed else None)
        # one result: at error severity when a violated limit (or, passing, any limit) is an error one
        blocking = [v for v in out.violations if severities.get(v.limit) == "error"]
        if out.violations:
            severity = "error" if blocking else "warning"
        else:
            severity = "error" if "error" in severities.values() or not severities else "warning"
        if mixed:
            out.notes.append("warning-severity limits (reported, not blocking): "
                             + ", ".join(k for k, sev in severities.items() if sev == "warning"))
        return [CheckResult(check=NAME, column="file", severity=severity, success=out.success,
                            observed=out.observed, thresholds=limits, failures=out.failures,
                            violations=[v.as_json() for v in out.violations], notes=out.notes)]

    def declare(self, result: Any, t: Any) -> None:
        """Nothing to declare: the counts are of files, not of people, and the sample paths were
        left out at the source when the spec marks the file column identifying or sensitive."""

    def metrics(self, result: Any, out: dict[str, Any]) -> None:
        out["files"] = {k: result.observed.get(k) for k in ("files", "bytes", *COUNTS)}
