"""The datavet part of a dataset's GX suite as plain JSON, and the suite file as written on disk.

Pure Python (no Great Expectations import): the version stage fingerprints the rules with it
(datavet.registry.fingerprint) before anything imports GX; datavet.gx.suite saves it through GX.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from datavet.errors import SuiteError
from datavet.recode import rules_of
from datavet.settings import Settings
from datavet.spec import LoadedSpec

META_KEY = "datavet"


def suite_name(loaded: LoadedSpec) -> str:
    return loaded.spec.name


def suite_path(loaded: LoadedSpec, settings: Settings) -> Path:
    return settings.expectations_dir / f"{suite_name(loaded)}.json"


def is_generated(meta: dict | None) -> bool:
    return bool((meta or {}).get(META_KEY, {}).get("generated"))


def generated_expectations(loaded: LoadedSpec, columns: list[str],
                           previous: Callable[[], Any] | None = None) -> list[dict[str, Any]]:
    """Plain-JSON expectation configurations for every check of the spec, check type by check type
    in the registry's order (figures for every column). ``previous``: gives the previous certified
    version (datavet.registry.store.previous_version), asked only by the checks that compare versions."""
    from datavet.checks.base import SuiteContext, no_previous
    from datavet.checks.registry import CHECKS

    spec = loaded.spec
    ctx = SuiteContext(loaded=loaded, columns=list(columns), private=spec.private_columns,
                       tokens=list(spec.missing_tokens), previous=previous or no_previous)
    rules = rules_of(spec)
    recode = {"recode": rules} if rules else {}  # absent when unused: unchanged suites keep their bytes
    out: list[dict[str, Any]] = []
    splits = list(spec.source.splits or {})
    for check in CHECKS.values():
        for conf in check.configurations(spec.checks, ctx):
            # the spec's checks run on each split too; a default breakdown on the whole only (per split
            # its small cells would leave it unprotectable, and the privacy layer would withhold it whole)
            each = [None] if not check.per_split or conf.get("breakdown") else [None, *splits]
            if conf.get("splits") is not None:  # the entry's `splits: [train]`: those splits only
                each = list(conf["splits"])
            for split in each:  # the whole, then each split of a source.splits version
                at = {"split": split} if split else {}
                out.append({"type": conf["type"],
                            "kwargs": {**conf["kwargs"], "missing_tokens": ctx.tokens, **recode, **at},
                            "meta": {META_KEY: {"generated": True, "check": conf["check"], **at,
                                                **({"breakdown": True} if conf.get("breakdown") else {})}},
                            "severity": conf["severity"]})
    return out


def read_suite_json(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SuiteError(f"the suite {path} is not valid JSON: {exc}",
                         fix="repair the file, or delete it to regenerate it from the spec") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("expectations", []), list):
        raise SuiteError(f"the suite {path} is not a GX suite (no 'expectations' list)",
                         fix="repair the file, or delete it to regenerate it from the spec")
    return doc
