"""What a certification records about the rules it was certified under, so the next one can say what
changed: each answer's sha256 and attestation, and the validated spec (both in the signed statement)."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from typing import TYPE_CHECKING, Any

from datavet.errors import UsageError
from datavet.registry.certificate import Recertification

if TYPE_CHECKING:  # pragma: no cover
    from datavet.spec import LoadedSpec


REASON_MAX_CHARS = 2000


def checked_reason(reason: str | None, dataset: str) -> str | None:
    """The reason given for a certification, as it is signed and published: one line of text (no
    control characters), at most REASON_MAX_CHARS; blank is no reason."""
    if reason is None or not reason.strip():
        return None
    text = reason.strip()
    bad = next((c for c in text if unicodedata.category(c) == "Cc"), None)
    if bad is not None or len(text) > REASON_MAX_CHARS:
        why = f"holds the control character {bad!r}" if bad is not None else f"has {len(text):,} characters"
        raise UsageError(f"the certification's reason {why}", dataset=dataset,
                         fix=f"give one line of plain text of at most {REASON_MAX_CHARS:,} characters")
    return text


def answer_sha256(answer: str | None, not_applicable: str | None) -> str:
    """The digest an attestation binds: the answer's words (or its reason for not applying)."""
    return hashlib.sha256(json.dumps({"answer": answer, "not_applicable": not_applicable},
                                     sort_keys=True).encode()).hexdigest()


def answers_record(loaded: LoadedSpec) -> list[dict[str, Any]]:
    """Every answer's id, sha256 and attestation (who, when)."""
    from datavet.datasheet.answers import load_answers

    path = loaded.answers_path
    if not path.is_file():
        return []
    answers = load_answers(path, loaded)
    out = []
    for pid in type(answers.answers).model_fields:
        item = answers.get(pid)
        if item is None:
            continue
        by, on = answers.attestation(pid)
        out.append({"id": pid, "sha256": answer_sha256(item.answer, item.not_applicable),
                    "attested_by": by, "attested_on": on.isoformat() if on else None,
                    "attested_sha256": item.attested_sha256})
    return out


def stale_attestations(answers: list[dict[str, Any]], previous: dict[str, Any] | None) -> list[str]:
    """Answers whose attestation does not vouch for their current words: one that names another
    answer's sha256 (``attested_sha256``), or one added or changed since the previous certification
    (``previous``: its signed predicate) whose attestation is dated before that certification (an
    attestation cannot vouch for words written after it). Returned as "<id>: <why>"."""
    before = {r["id"]: r for r in (previous or {}).get("answers") or []}
    certified_on = str((previous or {}).get("certified_at") or "")[:10]
    stale = []
    for record in answers:
        pid, sha = record["id"], record["sha256"]
        bound = record.get("attested_sha256")
        if bound and bound != sha:
            stale.append(f"{pid}: attested_sha256 {bound} is not the answer's sha256 {sha}")
            continue
        old = before.get(pid)
        changed = previous is not None and (old is None or old.get("sha256") != sha)
        on = record.get("attested_on")
        if changed and not bound and on and certified_on and on < certified_on:
            stale.append(f"{pid}: {'added' if old is None else 'changed'} after {previous.get('tag')} "  # type: ignore[union-attr]
                         f"({certified_on}), attested on {on}; sha256 {sha}")
    return stale


def spec_record(loaded: LoadedSpec) -> dict[str, Any]:
    return loaded.spec.model_dump(mode="json")


def _flatten(obj: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(obj, dict):
        out: dict[str, Any] = {}
        for key, value in obj.items():
            out.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return out or {prefix: {}}
    return {prefix: obj}


def changed_spec_keys(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Dotted keys whose value was added, removed or changed (lists compared whole)."""
    a, b = _flatten(old), _flatten(new)
    return sorted(k for k in set(a) | set(b) if a.get(k, object()) != b.get(k, object()))


def changed_answers(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[str]:
    """Ids whose answer or attestation was added, removed or changed."""
    a = {r["id"]: r for r in old}
    b = {r["id"]: r for r in new}
    return sorted(pid for pid in set(a) | set(b) if a.get(pid) != b.get(pid))


def recertification(previous_tag: str | None, previous: dict[str, Any] | None, loaded: LoadedSpec,
                    answers: list[dict[str, Any]], reason: str | None) -> Recertification | None:
    """What changed since the previous certification's signed statement (``previous``: its predicate);
    None for a first certification without a reason."""
    if previous_tag is None:
        return Recertification(previous_tag=None, reason=reason) if reason else None
    if previous is None:  # the previous certification has no statement (before signing): not known
        return Recertification(previous_tag=previous_tag, reason=reason, compared=False)
    return Recertification(previous_tag=previous_tag,
                           answers=changed_answers(previous.get("answers") or [], answers),
                           spec_keys=changed_spec_keys(previous.get("spec") or {}, spec_record(loaded)),
                           reason=reason)
