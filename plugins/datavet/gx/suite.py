"""Generate a dataset's GX suite from its spec, keeping expectations a person added by hand.

Generated expectations carry ``meta.datavet.generated = true`` and are the only ones regenerated;
the rest of the suite file is left as written. GX silently drops an expectation whose class it does
not know when it loads a suite, so every load is compared with the JSON on disk first.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from datavet.checks.suite import (  # noqa: F401  (the suite's plain-JSON part, re-exported)
    META_KEY,
    generated_expectations,
    is_generated,
    read_suite_json,
    suite_name,
    suite_path,
)
from datavet.errors import SuiteError
from datavet.settings import Settings
from datavet.spec import LoadedSpec

_NAMESPACE = uuid.UUID("6f1c3a52-5b8e-4f0e-9d55-2a8d1d9a7c01")


def _stable_id(suite: str, position: int, conf: dict[str, Any]) -> str:
    """Same spec, same ids: the suite file (and its hash) only changes when the checks change."""
    return str(uuid.uuid5(_NAMESPACE, json.dumps([suite, position, conf], sort_keys=True)))


def load_checked(context: Any, name: str, path: Path) -> Any:
    """Load a suite through GX and fail if GX dropped anything the file contains."""
    import datavet.gx  # noqa: F401  (datavet expectations must be registered before GX loads the suite)

    doc = read_suite_json(path)
    try:
        suite = context.suites.get(name)
    except Exception as exc:  # GX raises several types for a malformed suite
        raise SuiteError(f"GX cannot load the suite {path}: {exc}",
                         fix="repair the file, or delete it to regenerate it from the spec") from None
    on_disk = Counter(str(e.get("type") or e.get("expectation_type")) for e in (doc or {}).get("expectations", []))
    loaded = Counter(e.expectation_type for e in suite.expectations)
    dropped = sorted((on_disk - loaded).elements())
    if dropped:
        raise SuiteError(
            f"the suite {path} names expectation type(s) {sorted(set(dropped))} that GX could not load "
            "(no such expectation class is importable, or its arguments are invalid)",
            dataset=name,
            fix="install/import the package that defines them, fix their arguments, or remove them from the suite")
    return suite


def _same(existing: Any, suite: Any) -> bool:
    """Whether ``suite`` would save what ``existing`` (loaded from disk) already holds."""
    def plain(s: Any) -> Any:
        return ([e.configuration.to_json_dict() for e in s.expectations], s.meta)

    return plain(existing) == plain(suite)


def write_suite(context: Any, loaded: LoadedSpec, settings: Settings, columns: list[str],
                previous: Callable[[], Any] | None = None) -> tuple[Path, Any]:
    """Regenerate the datavet part of the suite, keep the hand-added part, save it as GX writes it."""
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    import datavet.gx  # noqa: F401

    name, path = suite_name(loaded), suite_path(loaded, settings)
    kept: list[Any] = []
    existing = None
    if path.is_file():
        existing = load_checked(context, name, path)
        kept = [e.configuration for e in existing.expectations if not is_generated(e.meta)]
    full = generated_expectations(loaded, columns, previous)
    stored = [_stored(conf) for conf in full]
    configurations = [ExpectationConfiguration(**conf, id=_stable_id(name, i, conf)) for i, conf in enumerate(stored)]
    runtime = {c.id: {k: v for k, v in f["kwargs"].items() if s["kwargs"].get(k) != v}
               for c, f, s in zip(configurations, full, stored, strict=True)}
    for conf in [*configurations, *kept]:
        try:
            conf.to_domain_obj()  # GX's suite constructor would only log an invalid one and drop it
        except Exception as exc:
            raise SuiteError(f"cannot build the suite for {name}: {conf.type}: {exc}", dataset=name,
                             fix="check the thresholds in the spec's checks (and any hand-added expectation)"
                             ) from None
    suite = gx.ExpectationSuite(name=name, expectations=[*configurations, *kept],
                                meta={META_KEY: {"spec": loaded.path.name, "generated_by": "datavet"}})
    if existing is not None and _same(existing, suite):
        return path, _filled(existing, runtime)  # nothing changed: neither re-written nor re-read
    if not path.is_file():
        # GX gives random ids on creation and keeps given ones on update: create empty, then update,
        # so the same spec always writes the same bytes (and the same suite_hash).
        context.suites.add(gx.ExpectationSuite(name=name))
    context.suites.add_or_update(suite)
    return path, _filled(load_checked(context, name, path), runtime)


def _stored(conf: dict[str, Any]) -> dict[str, Any]:
    """A generated configuration as the suite file keeps it (datavet.checks.base.CheckType.stored)."""
    from datavet.checks.registry import CHECKS

    return {**conf, "kwargs": CHECKS[conf["meta"][META_KEY]["check"]].stored(dict(conf["kwargs"]))}


def _filled(suite: Any, runtime: dict[str, dict[str, Any]]) -> Any:
    """The suite in memory with the kwargs the file does not keep (the previous version's figures)."""
    for expectation in suite.expectations:
        for key, value in runtime.get(expectation.id, {}).items():
            setattr(expectation, key, value)
    return suite
