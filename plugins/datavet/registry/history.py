"""Every certified version of a dataset, oldest first, read from the registry's tags."""

from __future__ import annotations

import json

from datavet.registry.certificate import Certificate
from datavet.registry.fingerprint import reason
from datavet.registry.repo import Registry
from datavet.registry.store import committed_certificate
from datavet.settings import Settings
from datavet.spec import LoadedSpec


def certified_versions(loaded: LoadedSpec, settings: Settings) -> list[dict]:
    return certified_versions_of(Registry.of(settings), loaded.spec.name)


def certified_versions_of(registry: Registry, name: str) -> list[dict]:
    rows = []
    latest: dict[str, Certificate] = {}  # md5 -> its latest certificate so far
    for tag in registry.certified_tags(name):
        cert = committed_certificate(registry, name, tag)
        failed = [f"{c.check} {c.subject}" for c in cert.checks if not c.success]
        changes = cert.changes
        rows.append({"tag": tag, "md5": cert.md5, "rows": cert.rows, "certified_at": cert.certified_at,
                     "checks": len(cert.checks), "passed": len(cert.checks) - len(failed),
                     "warnings": failed, "reason": reason(latest.get(cert.md5), cert),
                     "answers_changed": changes.answers if changes else None,
                     "spec_keys_changed": changes.spec_keys if changes else None,
                     "why": changes.reason if changes else None, "signer": cert.signer})
        latest[cert.md5] = cert
    from datavet.registry.current import current_tag

    current = current_tag(registry, name)
    for row in rows:
        row["current"] = row["tag"] == current
    return rows


def history_table(loaded: LoadedSpec, settings: Settings, *, as_json: bool = False) -> str:
    rows = certified_versions(loaded, settings)
    if as_json:
        return json.dumps(rows, indent=2)
    if not rows:
        return f"{loaded.spec.name}: no certified versions yet"
    lines = [f"{'tag':<28} {'md5':<32} {'rows':>10}  {'certified at':<25} checks"]
    for r in rows:
        lines.append(f"{r['tag']:<28} {r['md5']:<32} {r['rows']:>10}  {r['certified_at']:<25} "
                     f"{r['passed']}/{r['checks']} checks passed" + (f" (warned: {'; '.join(r['warnings'])})"
                                                              if r["warnings"] else "")
                     + (f" [{r['reason']}]" if r["reason"] else "") + (" (current)" if r["current"] else "")
                     + ("" if r["signer"] else " UNSIGNED"))
        changed = [f"answers changed: {', '.join(r['answers_changed'])}" if r["answers_changed"] else "",
                   f"spec keys changed: {', '.join(r['spec_keys_changed'])}" if r["spec_keys_changed"] else "",
                   f"reason: {r['why']}" if r["why"] else ""]
        if any(changed):
            lines.append("    " + "; ".join(c for c in changed if c))
    from datavet.registry.current import promotions

    lines += [f"{p['at']}  {p['what']}" for p in promotions(Registry.of(settings), loaded.spec.name)]
    return "\n".join(lines)
