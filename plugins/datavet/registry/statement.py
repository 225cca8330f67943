"""The in-toto Statement (v1) of a certification: what was certified, under which rules, with which
outcome and documents, signed with SSH (datavet.registry.signing).

Subject: the data (``sha256``, and DVC's ``md5``; a tree's ``.dir`` md5 as annotation ``dvc_md5``).
Predicate (type ``PREDICATE_TYPE``): the dataset, tag, sequence and time, the rules' digests, every
check's outcome, the sha256 of every document (the certificate included), the answers and their
attestations, the validated spec, and what changed since the previous certification.
"""

from __future__ import annotations

import json
from typing import Any

from datavet.fsutil import sha256_bytes
from datavet.registry.certificate import Certificate

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://datavet.dev/certification/v1"


def build(cert: Certificate, certificate_rel: str, certificate_bytes: bytes, answers: list[dict] | None = None,
          spec: dict[str, Any] | None = None) -> dict[str, Any]:
    md5_hex = cert.md5.removesuffix(".dir")
    subject = {"name": cert.data_path, "digest": {"sha256": cert.sha256 or "", "md5": md5_hex},
               "annotations": {"dvc_md5": cert.md5,
                               "kind": "tree: sha256 of the listing of each file's sha256" if cert.md5.endswith(".dir")
                               else "file"}}
    documents = {rel: {"sha256": digest} for rel, digest in sorted(cert.files.items())}
    documents[certificate_rel] = {"sha256": sha256_bytes(certificate_bytes)}
    predicate = {
        "dataset": cert.dataset, "tag": cert.tag, "sequence": cert.sequence, "certified_at": cert.certified_at,
        "certified_by": cert.certified_by, "datavet_version": cert.datavet_version, "rules": cert.rules,
        "validation_success": cert.validation_success, "remote": cert.remote,
        "checks": [c.model_dump(mode="json") for c in cert.checks],
        "documents": dict(sorted(documents.items())),
        "answers": answers or [],
        "spec": spec,
        "changes": cert.changes.model_dump(mode="json") if cert.changes else None,
    }
    return {"_type": STATEMENT_TYPE, "subject": [subject], "predicateType": PREDICATE_TYPE, "predicate": predicate}


def to_bytes(statement: dict[str, Any]) -> bytes:
    return (json.dumps(statement, indent=2, sort_keys=True) + "\n").encode()


def mismatches(statement: dict[str, Any], cert: Certificate, tag: str, certificate_rel: str,
               certificate_bytes: bytes) -> list[str]:
    """What the signed statement says that the committed certificate (or the tag) does not."""
    problems: list[str] = []
    if statement.get("_type") != STATEMENT_TYPE or statement.get("predicateType") != PREDICATE_TYPE:
        return [f"the statement is not a datavet in-toto statement ({statement.get('_type')!r})"]
    predicate = statement.get("predicate") or {}
    subjects = statement.get("subject") or [{}]
    digest = subjects[0].get("digest") or {}
    if (subjects[0].get("annotations") or {}).get("dvc_md5") != cert.md5:
        problems.append(f"the signed statement certifies md5 {(subjects[0].get('annotations') or {}).get('dvc_md5')}, "
                        f"the certificate says {cert.md5}")
    if digest.get("sha256") != cert.sha256:
        problems.append(f"the signed statement certifies sha256 {digest.get('sha256')}, the certificate says "
                        f"{cert.sha256}")
    if predicate.get("tag") != tag:
        problems.append(f"the signed statement is for tag {predicate.get('tag')}, found at {tag}")
    signed = predicate.get("documents") or {}
    said = signed.get(certificate_rel, {}).get("sha256")
    actual = sha256_bytes(certificate_bytes)
    if said != actual:
        problems.append(f"{certificate_rel} at {tag} hashes to {actual}, the signed statement says {said}")
    for rel, digest_ in sorted(cert.files.items()):
        if (signed.get(rel) or {}).get("sha256") != digest_:
            problems.append(f"the certificate's sha256 of {rel} ({digest_}) is not the signed statement's "
                            f"({(signed.get(rel) or {}).get('sha256')})")
    for rel in sorted(set(signed) - set(cert.files) - {certificate_rel}):
        problems.append(f"the signed statement lists {rel}, the certificate does not")
    if predicate.get("rules") != cert.rules:
        problems.append("the certificate's rules digests differ from the signed statement's")
    if predicate.get("checks") != [c.model_dump(mode="json") for c in cert.checks]:
        problems.append("the certificate's check outcomes differ from the signed statement's")
    return problems
