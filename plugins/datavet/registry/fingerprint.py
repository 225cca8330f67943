"""What a certification certifies besides the bytes: the rules (spec, suite, answers), fingerprinted.

A certificate is for (data md5, spec, suite, answers). The same bytes certified again under changed
rules are certified again, with a new tag; under the same rules, nothing happens. Each part is a
sha256 of a normalised form, so an edit that changes no rule (a comment, key order, spacing in the
spec) certifies nothing new:

* spec: the validated spec as sorted JSON (defaults filled in, comments gone);
* suite: the expectations the spec generates for the version's columns, plus any added by hand to
  the suite file (datavet.checks.suite), as sorted JSON;
* answers: the answers file's bytes (its words are what the datasheet publishes), or ``none``.

A certificate written before fingerprints were recorded has only ``spec_sha256`` (the spec file's
bytes): it counts as certifying the current rules when that hash still matches the spec file, and as
certifying other rules (reason ``spec``) when it does not.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from datavet.fsutil import sha256_file

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from datavet.registry.certificate import Certificate
    from datavet.settings import Settings
    from datavet.spec import LoadedSpec

PARTS = ("spec", "suite", "answers")
Rules = dict[str, str]


def _sha(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


def table_columns(table: Path | pd.DataFrame) -> list[str]:
    """Column names of a Parquet version (file or directory) or a frame, without reading rows."""
    if not isinstance(table, Path | str):
        return [str(c) for c in table.columns]
    import pyarrow.dataset as ds

    return list(ds.dataset(str(table), format="parquet", partitioning="hive").schema.names)


def rules_of(loaded: LoadedSpec, settings: Settings, columns: list[str]) -> Rules:
    """The fingerprint of the rules a version of ``columns`` is checked and documented under."""
    from datavet.checks.suite import generated_expectations, is_generated, read_suite_json, suite_path
    from datavet.references import check_references

    check_references(loaded)  # the suite resolves them: a bad one is refused here with its column
    on_disk = read_suite_json(suite_path(loaded, settings)) or {}
    by_hand = [e for e in on_disk.get("expectations", []) if not is_generated(e.get("meta"))]
    for e in by_hand:
        e.pop("id", None)  # GX's ids are not rules
    answers = loaded.answers_path
    return {"spec": _sha(loaded.spec.model_dump(mode="json")),
            "suite": _sha([generated_expectations(loaded, columns), by_hand]),
            "answers": sha256_file(answers) if answers.is_file() else "none"}


def changed_parts(cert: Certificate, rules: Rules, spec_path: Path | None = None) -> list[str]:
    """Which of spec, suite, answers differ between ``cert`` and ``rules`` (empty: same rules).

    An old certificate (no fingerprint) is compared by its spec file hash, with ``spec_path``'s."""
    if cert.rules is None:
        if spec_path is None or not spec_path.is_file():
            return []
        return [] if sha256_file(spec_path) == cert.spec_sha256 else ["spec"]
    return [part for part in PARTS if cert.rules.get(part) != rules.get(part)]


def reason(previous: Certificate | None, cert: Certificate) -> str | None:
    """Why ``cert`` certified bytes ``previous`` had already certified (history's words)."""
    if previous is None or previous.md5 != cert.md5:
        return None
    if cert.rules is None:
        return "re-certified"
    if previous.rules is None:
        return ("re-certified: spec changed" if previous.spec_sha256 != cert.spec_sha256
                else "re-certified: first fingerprinted certificate")
    parts = [p for p in PARTS if previous.rules.get(p) != cert.rules.get(p)]
    return f"re-certified: {', '.join(parts)} changed" if parts else "re-certified"
