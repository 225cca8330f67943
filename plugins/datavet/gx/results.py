"""From a GX suite validation result to datavet's CheckReport (what is withheld from the stored GX
result is decided in datavet.privacy.gx)."""

from __future__ import annotations

from typing import Any

from datavet.checks.registry import CHECKS
from datavet.gx.suite import META_KEY, is_generated
from datavet.report import CheckResult, plain_json


def _type_of(config: Any) -> str:
    return config.type


def _exception(info: Any) -> tuple[bool, str | None]:
    """GX reports an exception either flat or keyed by the metric that raised it."""
    if not isinstance(info, dict):
        return False, None
    candidates = [info, *(v for v in info.values() if isinstance(v, dict))]
    for c in candidates:
        if c.get("raised_exception"):
            return True, str(c.get("exception_message"))
    return False, None


def severity_of(config: Any) -> str:
    value = getattr(config, "severity", "critical")
    value = getattr(value, "value", value)
    return "error" if value == "critical" else "warning"


def check_result(result: Any, private: set[str]) -> CheckResult:
    config = result.expectation_config
    kwargs = dict(config.kwargs)
    severity = severity_of(config)
    raised, message = _exception(result.exception_info)
    if is_generated(config.meta):
        check = config.meta["datavet"]["check"]
        kind = CHECKS[check]
        payload = result.result or {}
        details = payload.get("details", {})
        out = CheckResult(
            check=check, **kind.subject(kwargs), severity=severity, success=bool(result.success) and not raised,
            observed=plain_json(payload.get("observed_value") or {}),
            thresholds={k: kwargs[k] for k in kind.limit_keys if kwargs.get(k) is not None},
            failures=list(details.get("failures", [])), violations=list(details.get("violations", [])),
            notes=list(details.get("notes", [])), breakdown=bool(config.meta[META_KEY].get("breakdown")),
            split=kwargs.get("split"))
        if raised:
            out.failures.append(f"the check could not run: {message}")
        return out
    column = kwargs.get("column")
    observed: dict[str, Any] = {"expectation_type": _type_of(config)}
    value = (result.result or {}).get("observed_value")
    if column not in private and (value is None or isinstance(value, (int, float, str, bool))):
        observed["observed_value"] = value
    failures = [] if result.success else [f"{_type_of(config)} failed (see the GX validation result)"]
    if raised:
        failures.append(f"the expectation could not run: {message}")
    return CheckResult(check="gx_expectation", column=column if isinstance(column, str) else None,
                       severity=severity, success=bool(result.success) and not raised,
                       observed=plain_json(observed), failures=failures)
