"""From a GX suite validation result to datavet's CheckReport, and the privacy pass on what is stored.

Generated expectations already report opaque group names for private columns. Two things in a GX
result can still carry raw values of a private column, and both are withheld before the result is
stored: a reference map in the expectation's kwargs (its keys are the column's values; the
normalised, renamed shares are in the result's ``reference_shares``), and the value lists GX
attaches to built-in expectations (``partial_unexpected_list`` and the like) added by hand.
"""

from __future__ import annotations

from typing import Any

from datavet.checks.registry import CHECKS
from datavet.gx.suite import META_KEY, is_generated
from datavet.report import CheckResult, plain_json

WITHHELD = "<withheld: private column>"
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
            notes=list(details.get("notes", [])), breakdown=bool(config.meta[META_KEY].get("breakdown")))
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


def scrub(results: Any, private: set[str]) -> None:
    """Withhold raw values of private columns from a suite validation result before it is stored."""
    if not private:
        return
    for result in results.results:
        config = result.expectation_config
        kwargs = config.kwargs
        columns = {kwargs.get(k) for k in ("column", "label", "column_A", "column_B")}
        by = kwargs.get("by")
        columns |= set(by if isinstance(by, list) else [by])
        columns |= set(kwargs.get("columns") or []) | set(kwargs.get("column_list") or [])
        touched = {c for c in columns if isinstance(c, str)} & private
        if not touched:
            continue
        if is_generated(config.meta):
            if isinstance(kwargs.get("reference"), dict) and kwargs.get("column") in private:
                observed = (result.result or {}).get("observed_value") or {}
                kwargs["reference"] = observed.get("reference_shares", WITHHELD)
            if isinstance(kwargs.get("previous"), dict):  # a previous version's raw groups (the drift check)
                kwargs["previous"] = WITHHELD
            continue
        for key in ("value_set", "value_pairs_set", "values", "regex", "regex_list", "like_pattern",
                    "like_pattern_list", "value"):
            if key in kwargs:  # keep the type, so GX can still render the expectation
                kwargs[key] = [WITHHELD] if isinstance(kwargs[key], list) else WITHHELD
        if result.result:
            result.result = {k: v for k, v in result.result.items()
                             if isinstance(v, (int, float, bool)) or v is None}
