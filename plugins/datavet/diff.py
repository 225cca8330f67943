"""``datavet diff NAME A B``: what changed between two certified versions.

* rows added and removed: the two versions' rows compared as multisets (each row hashed over the
  columns both versions have; a row that changed counts once removed and once added), read from
  their certified bytes (md5-checked as ``load_certified`` reads them);
* share shifts: each group's share in the representation checks of the two published reports
  (small cells are withheld there, so a shift is shown only where both shares are published: the
  diff reveals nothing the two published reports do not);
* checks whose outcome changed (passed, warned, failed, or absent), from the two certificates;
* answers that changed (the datasheet prompts' answers and statuses), from the certified datasheets;
* spec keys that changed: the registry does not hold the spec itself, so what it can show is which
  fingerprinted part changed (spec, suite, answers) and the spec keys the documents carry: each
  check's limits (``checks.<check>[<subject>].<limit>``) and each column's role and recoding.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pandas as pd

from datavet.registry import Registry
from datavet.registry.certificate import Certificate
from datavet.registry.fingerprint import PARTS
from datavet.registry.store import committed_certificate, resolve_tag
from datavet.settings import Settings

TOP_SHIFTS = 10


def diff_versions(settings: Settings, name: str, a: str, b: str) -> dict[str, Any]:
    """The differences between versions ``a`` and ``b`` (tag numbers, tags or md5s) of ``name``."""
    registry = Registry.of(settings)
    tags = [resolve_tag(registry, name, v) for v in (a, b)]
    certs = [committed_certificate(registry, name, t) for t in tags]
    reports = [_json(registry, t, registry.validation_path(name, c.md5)) for t, c in zip(tags, certs, strict=True)]
    sheets = [_json(registry, t, registry.datasheet_dir(name) / "datasheet.json") for t in tags]
    return {
        "dataset": name, "a": {"tag": tags[0], "md5": certs[0].md5, "rows": certs[0].rows},
        "b": {"tag": tags[1], "md5": certs[1].md5, "rows": certs[1].rows},
        "rows": _rows(settings, name, tags) if certs[0].md5 != certs[1].md5 else
        {"added": 0, "removed": 0, "unchanged": certs[0].rows, "columns_added": [], "columns_removed": []},
        "share_shifts": _share_shifts(*reports),
        "checks": _checks(*certs),
        "answers": _answers(*sheets),
        "rules_changed": _rules_changed(*certs),
        "spec_keys": _spec_keys(reports, sheets),
    }


def _json(registry: Registry, tag: str, path: Any) -> dict[str, Any]:
    from datavet.errors import RegistryError

    try:
        return json.loads(registry.show(tag, path))
    except RegistryError:
        return {}


def _rows(settings: Settings, name: str, tags: list[str]) -> dict[str, Any]:
    from datavet.consume import load_certified

    frames = [load_certified(name, t, settings=settings, missing_as_null=False) for t in tags]
    common = [c for c in frames[0].columns if c in frames[1].columns]
    counts = [Counter(pd.util.hash_pandas_object(f[common].astype(str), index=False).tolist()) for f in frames]
    return {"added": sum((counts[1] - counts[0]).values()), "removed": sum((counts[0] - counts[1]).values()),
            "unchanged": sum((counts[0] & counts[1]).values()),
            "columns_added": [c for c in frames[1].columns if c not in frames[0].columns],
            "columns_removed": [c for c in frames[0].columns if c not in frames[1].columns]}


def _results(report: dict[str, Any], check: str | None = None) -> dict[str, dict[str, Any]]:
    from datavet.report import CheckResult

    out = {}
    for r in report.get("checks", []):
        if check is None or r.get("check") == check:
            result = CheckResult.model_validate(r)
            out[f"{result.check}[{result.subject}]"] = r
    return out


def _share_shifts(a: dict[str, Any], b: dict[str, Any]) -> list[dict[str, Any]]:
    """Groups whose published share moved, largest move first."""
    shifts = []
    before, after = _results(a, "representation"), _results(b, "representation")
    for key in sorted(set(before) & set(after)):
        old = before[key].get("observed", {}).get("shares") or {}
        new = after[key].get("observed", {}).get("shares") or {}
        for group in sorted(set(old) | set(new)):
            x, y = old.get(group, 0.0 if group not in old else None), new.get(group, 0.0 if group not in new else None)
            if x is None or y is None or x == y:
                continue
            shifts.append({"check": key, "group": group, "a": x, "b": y, "shift": y - x})
    return sorted(shifts, key=lambda s: -abs(s["shift"]))


def _outcome(c: Any) -> str:
    return "passed" if c.success else "warned" if c.severity == "warning" else "failed"


def _checks(a: Certificate, b: Certificate) -> list[dict[str, str]]:
    old = {f"{c.check}[{c.subject}]": _outcome(c) for c in a.checks}
    new = {f"{c.check}[{c.subject}]": _outcome(c) for c in b.checks}
    return [{"check": k, "a": old.get(k, "absent"), "b": new.get(k, "absent")}
            for k in sorted(set(old) | set(new)) if old.get(k, "absent") != new.get(k, "absent")]


def _prompts(sheet: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["id"]: p for s in sheet.get("sections", []) for p in s.get("prompts", [])}


def _answers(a: dict[str, Any], b: dict[str, Any]) -> list[dict[str, Any]]:
    """Prompts whose answer or status changed (computed prompts follow the data, so left out)."""
    old, new = _prompts(a), _prompts(b)
    out = []
    for pid in sorted(set(old) | set(new), key=lambda p: (p[0], int(p[1:]))):
        x, y = old.get(pid, {}), new.get(pid, {})
        if "computed" in (x.get("status"), y.get("status")):
            continue
        if (x.get("answer"), x.get("status")) != (y.get("answer"), y.get("status")):
            out.append({"prompt": pid, "status": [x.get("status"), y.get("status")],
                        "answer": [x.get("answer"), y.get("answer")]})
    return out


def _rules_changed(a: Certificate, b: Certificate) -> list[str]:
    if a.rules is None or b.rules is None:
        return ["spec"] if a.spec_sha256 != b.spec_sha256 else []
    return [p for p in PARTS if a.rules.get(p) != b.rules.get(p)]


def _spec_keys(reports: list[dict[str, Any]], sheets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The spec keys the documents carry: each check's limits, each column's role and recoding."""
    def keys(report: dict[str, Any], sheet: dict[str, Any]) -> dict[str, Any]:
        out = {f"checks.{k}.{limit}": v for k, r in _results(report).items()
               for limit, v in (r.get("thresholds") or {}).items()}
        out |= {f"checks.{k}": "present" for k in _results(report)}
        for col in (sheet.get("computed") or {}).get("columns", []):
            for field in ("role", "recoded"):
                if col.get(field) is not None:
                    out[f"columns.{col['name']}.{field}"] = col[field]
        return out

    old, new = keys(reports[0], sheets[0]), keys(reports[1], sheets[1])
    return [{"key": k, "a": old.get(k), "b": new.get(k)} for k in sorted(set(old) | set(new))
            if old.get(k) != new.get(k)]


def diff_text(d: dict[str, Any]) -> str:
    """The diff as a person reads it."""
    a, b, rows = d["a"], d["b"], d["rows"]
    lines = [f"{d['dataset']}: {a['tag']} ({a['rows']} rows) -> {b['tag']} ({b['rows']} rows)",
             f"rows: {rows['added']} added, {rows['removed']} removed, {rows['unchanged']} unchanged"]
    for kind in ("added", "removed"):
        if rows[f"columns_{kind}"]:
            lines.append(f"columns {kind}: {', '.join(rows[f'columns_{kind}'])}")
    shifts = d["share_shifts"]
    lines.append("share shifts: " + ("none" if not shifts else f"{len(shifts)} (largest first)"))
    lines += [f"  {s['check']} {s['group']}: {s['a']:.2%} -> {s['b']:.2%} ({s['shift']:+.2%})"
              for s in shifts[:TOP_SHIFTS]]
    lines.append("checks changed: " + ("none" if not d["checks"] else ""))
    lines += [f"  {c['check']}: {c['a']} -> {c['b']}" for c in d["checks"]]
    lines.append("answers changed: " + ("none" if not d["answers"] else ", ".join(x["prompt"] for x in d["answers"])))
    lines.append("rules changed: " + (", ".join(d["rules_changed"]) or "none"))
    lines.append("spec keys changed: " + ("none" if not d["spec_keys"] else ""))
    lines += [f"  {k['key']}: {_short(k['a'])} -> {_short(k['b'])}" for k in d["spec_keys"]]
    return "\n".join(line.rstrip() for line in lines)


def _short(value: Any) -> str:
    text = "(absent)" if value is None else json.dumps(value) if not isinstance(value, str) else value
    return text if len(text) <= 80 else text[:77] + "..."
