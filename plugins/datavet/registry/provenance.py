"""verify's signature checks: the in-toto statement's SSH signature and the git tag's, each by a key
in the trusted allowed-signers file (outside the registry), and the statement against the certificate.

A key listed only in the registry's own ``allowed_signers`` is reported as unknown: whoever can
write to the registry can add one there. A version with neither signature is UNSIGNED (shown
loudly; `datavet verify` exits 1 for it unless told ``--allow-unsigned``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

from datavet.errors import RegistryError
from datavet.registry import signing, statement
from datavet.registry.certificate import Certificate
from datavet.registry.repo import Registry

if TYPE_CHECKING:  # pragma: no cover
    from datavet.registry.verify import Verification

Check = Callable[[str, bool, str], None]


def check_signatures(registry: Registry, name: str, tag: str, cert: Certificate, result: Verification,
                     check: Check) -> None:
    trusted = registry.trusted_signers
    stmt, sig = _committed(registry, tag, registry.statement_path(name, cert.md5)), \
        _committed(registry, tag, registry.signature_path(name, cert.md5))
    tag_signed = _check_tag(registry, tag, trusted, cert, check)
    if stmt is None and sig is None and tag_signed is None:
        result.unsigned = True
        for problem in _datasheet_claim(registry, name, tag, cert):
            check("datasheet's signer", False, problem)
        check("signature", cert.signer is None,
              f"the certificate says it was signed by {cert.signer}, but {tag} has no signed statement and an "
              "unsigned tag (signatures removed?)")
        return
    rel = registry.statement_path(name, cert.md5).relative_to(registry.root).as_posix()
    check("tag signature", tag_signed is not None, f"tag {tag} is not signed (moved or re-created with `git tag -f`?)")
    if stmt is None or sig is None:
        check("statement", False, f"{tag} has no signed in-toto statement ({rel} and its .sig)")
        return
    if trusted is None:
        check("statement signature", False, "no trusted allowed-signers file is configured (DATAVET_ALLOWED_SIGNERS)")
        return
    outcome = signing.check(stmt, sig, trusted)
    check("statement signature", outcome.ok, f"{rel} at {tag}: {outcome.problem}"
          + (_registry_only_hint(registry, outcome.fingerprint) if outcome.fingerprint else ""))
    if outcome.ok:
        result.signer = f"{outcome.principal} ({outcome.fingerprint})"
        check("statement signer", outcome.fingerprint == cert.signer,
              f"{rel} is signed by {outcome.fingerprint}, the certificate names {cert.signer}")
    try:
        body = json.loads(stmt)
    except ValueError:
        check("statement", False, f"{rel} at {tag} is not JSON")
        return
    cert_path = registry.certificate_path(name, cert.md5)
    cert_rel = cert_path.relative_to(registry.root).as_posix()
    problems = statement.mismatches(body, cert, tag, cert_rel, registry.show(tag, cert_path))
    problems += _datasheet_claim(registry, name, tag, cert)
    check("statement matches the certificate", not problems, "; ".join(problems))


def _datasheet_claim(registry: Registry, name: str, tag: str, cert: Certificate) -> list[str]:
    """The datasheet at ``tag`` says which key signs its certification (or UNSIGNED): it must agree."""
    raw = _committed(registry, tag, registry.datasheet_dir(name) / "datasheet.json")
    try:
        claimed = json.loads(raw).get("signer") if raw else None
    except (ValueError, AttributeError):
        return []  # the document checks name a datasheet.json that is not what was certified
    actual = cert.signer or "UNSIGNED"
    if claimed is None or claimed == actual:
        return []
    return [f"datasheet.json at {tag} says the certification is signed by {claimed}, the certificate says {actual}"]


def _committed(registry: Registry, tag: str, path) -> bytes | None:
    try:
        return registry.show(tag, path)
    except RegistryError:
        return None


def _check_tag(registry: Registry, tag: str, trusted, cert: Certificate, check: Check) -> bool | None:
    """The tag's SSH signature (git verify-tag against the trusted signers); None: the tag is unsigned."""
    kind = registry.git("cat-file", "-t", f"refs/tags/{tag}", check=False)
    if kind != "tag":  # a lightweight tag: unsigned
        return None
    body = registry.git("cat-file", "tag", f"refs/tags/{tag}", check=False)
    header = dict(line.split(" ", 1) for line in body.split("\n\n", 1)[0].splitlines() if " " in line)
    check("tag object", header.get("tag") == tag, f"the tag object at {tag} was made for tag {header.get('tag')} "
                                                  "(a signed tag copied to another name)")
    if "-----BEGIN SSH SIGNATURE-----" not in body:
        return None
    if trusted is None:
        check("tag signature", False, "no trusted allowed-signers file is configured (DATAVET_ALLOWED_SIGNERS)")
        return True
    proc = registry.run("git", *signing.git_verifying(trusted), "verify-tag", "--raw", tag, check=False)
    said = (proc.stderr + proc.stdout).strip()
    found = [w for w in said.split() if w.startswith("SHA256:")]
    fingerprint = found[0] if found else None
    if proc.returncode != 0:
        why = (f"signed by an unknown key {fingerprint}: not in the trusted allowed signers {trusted}"
               + _registry_only_hint(registry, fingerprint)) if "No principal matched" in said and fingerprint \
            else f"its signature does not verify ({' '.join(said.split()[-12:])})"
        check("tag signature", False, f"tag {tag}: {why}")
    else:
        check("tag signature", fingerprint == cert.signer,
              f"tag {tag} is signed by {fingerprint}, the certificate names {cert.signer}")
    return True


def _registry_only_hint(registry: Registry, fingerprint: str | None) -> str:
    """Say so when the key is listed in the registry's own allowed_signers (which verify never trusts)."""
    path = registry.allowed_signers_path
    if fingerprint is None or not path.is_file():
        return ""
    for line in path.read_text(errors="replace").splitlines()[:200]:  # a hint only: bounded work
        parts = line.split()
        if len(parts) >= 3:
            try:
                if signing.fingerprint_of(f"{parts[1]} {parts[2]}") == fingerprint:
                    return (" (the registry's own allowed_signers lists it, but that file is writable by anyone who "
                            "can write to the registry and is not trusted)")
            except Exception:  # a malformed line: not a match
                continue
    return ""
