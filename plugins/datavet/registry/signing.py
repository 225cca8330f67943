"""SSH signing of certifications: the in-toto statement (``ssh-keygen -Y sign``, namespace
``datavet-statement``) and the registry's git commit and tag (git's SSH signing, ``gpg.format ssh``).

The key comes from settings (``DATAVET_SIGNING_KEY``), an Airflow connection (any secrets backend:
``DATAVET_SIGNING_CONNECTION``), or else a project key created on first use under ``<home>/keys``.

Trust: verification accepts only the signers in the *trusted* allowed-signers file, which lives
outside the registry (``DATAVET_ALLOWED_SIGNERS``, default ``<home>/allowed_signers``). The registry
also carries an ``allowed_signers`` file, for people who clone it, but anyone who can write to the
registry can add their own key there; verify never trusts it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from datavet.errors import SigningError

if TYPE_CHECKING:  # pragma: no cover
    from datavet.settings import Settings

NAMESPACE = "datavet-statement"
PRINCIPAL = "datavet"  # the identity the keys datavet signs with are listed under
DEFAULT_KEY = "datavet_ed25519"


@dataclass(frozen=True)
class SigningKey:
    private: Path
    public: str  # "ssh-ed25519 AAAA... comment"
    fingerprint: str  # "SHA256:..."


@dataclass(frozen=True)
class SignatureCheck:
    """The outcome of checking one signature: who signed (fingerprint, trusted principal) or why not."""

    fingerprint: str | None = None
    principal: str | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def ssh_keygen() -> str:
    found = shutil.which("ssh-keygen")
    if found is None:
        raise SigningError("ssh-keygen (OpenSSH) is not installed; it signs and verifies certifications",
                           fix="install openssh-client (apt-get install openssh-client), or set "
                               "DATAVET_SIGNING=0 to certify unsigned (shown as UNSIGNED)")
    return found


def _run(*args: str, data: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([ssh_keygen(), *args], input=data, capture_output=True)


def signing_key(settings: Settings) -> SigningKey:
    """The key this installation signs with; its public key is added to the trusted signers (the
    keys an installation signs with are the ones it trusts) and never printed itself."""
    if settings.signing_key is not None:
        private = settings.signing_key
        if not private.is_file():
            raise SigningError(f"the signing key {private} does not exist",
                               fix="point DATAVET_SIGNING_KEY at a private SSH key file (ssh-keygen -t ed25519)")
    elif settings.signing_connection:
        private = _key_from_connection(settings)
    else:
        private = settings.home / "keys" / DEFAULT_KEY
        if not private.is_file():
            _create_key(private)
    key = _load(private)
    trust(settings.allowed_signers, key)
    return key


def _create_key(private: Path) -> None:
    private.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(private.parent, 0o700)
    proc = _run("-q", "-t", "ed25519", "-N", "", "-C", "datavet project key", "-f", str(private))
    if proc.returncode != 0:
        raise SigningError(f"could not create the project signing key {private}: "
                           f"{proc.stderr.decode(errors='replace').strip()}",
                           fix="make <home>/keys writable, or set DATAVET_SIGNING_KEY")


def _key_from_connection(settings: Settings) -> Path:
    """The key an Airflow connection holds (extra ``private_key``, else the password), written 0600
    under <home>/keys so ssh-keygen can read it; Airflow's secrets backends resolve the connection."""
    conn_id = settings.signing_connection
    try:
        from airflow.sdk import Connection

        conn = Connection.get(conn_id)
    except ImportError:
        raise SigningError(f"DATAVET_SIGNING_CONNECTION names {conn_id!r}, but Airflow is not installed",
                           fix="install datavet[airflow], or set DATAVET_SIGNING_KEY to a key file") from None
    except Exception as exc:  # Airflow raises its own not-found errors
        raise SigningError(f"the Airflow connection {conn_id!r} (DATAVET_SIGNING_CONNECTION) could not be read: "
                           f"{type(exc).__name__}", fix="create the connection (or its secret) with the private "
                                                       "key in extra 'private_key'") from None
    text = (conn.extra_dejson or {}).get("private_key") or conn.password
    if not text or "PRIVATE KEY" not in text:
        raise SigningError(f"the Airflow connection {conn_id!r} holds no private SSH key",
                           fix="put the OpenSSH private key in the connection's extra 'private_key'")
    path = settings.home / "keys" / f"connection-{conn_id}"
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    data = text.strip().encode() + b"\n"
    if not path.is_file() or path.read_bytes() != data:
        fd = os.open(path.with_suffix(".tmp"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(path.with_suffix(".tmp"), path)
    return path


def _load(private: Path) -> SigningKey:
    if private.stat().st_mode & 0o077:
        raise SigningError(f"the signing key {private} is readable by other users (ssh-keygen refuses it)",
                           fix=f"chmod 600 {private}")
    proc = _run("-y", "-f", str(private))
    if proc.returncode != 0:
        raise SigningError(f"{private} is not a usable private SSH key (it may need a passphrase)",
                           fix="use an unencrypted key file, or one held by ssh-agent")
    public = proc.stdout.decode().strip()
    return SigningKey(private=private, public=public, fingerprint=fingerprint_of(public))


def fingerprint_of(public: str) -> str:
    proc = _run("-l", "-f", "/dev/stdin", data=public.encode() + b"\n")
    parts = proc.stdout.decode().split()
    if proc.returncode != 0 or len(parts) < 2:
        raise SigningError("ssh-keygen could not fingerprint the signing key", fix="check the key file")
    return parts[1]


def signer_line(key: SigningKey) -> str:
    """The key's allowed-signers line (``principal key-type key``), without its comment."""
    kind, blob = key.public.split()[:2]
    return f"{PRINCIPAL} {kind} {blob}"


def trust(allowed: Path, key: SigningKey) -> bool:
    """Add ``key`` to an allowed-signers file unless it is there; True when the file changed."""
    line = signer_line(key)
    lines = allowed.read_text().splitlines() if allowed.is_file() else []
    if any(existing.split()[1:3] == line.split()[1:3] for existing in lines if len(existing.split()) >= 3):
        return False
    from datavet.fsutil import atomic_write_text

    atomic_write_text(allowed, "\n".join([*lines, line]) + "\n")
    return True


def sign(key: SigningKey, data: bytes) -> bytes:
    """An SSH signature of ``data`` (armoured, as ``ssh-keygen -Y sign`` writes it)."""
    proc = _run("-Y", "sign", "-q", "-f", str(key.private), "-n", NAMESPACE, data=data)
    if proc.returncode != 0 or b"BEGIN SSH SIGNATURE" not in proc.stdout:
        raise SigningError(f"ssh-keygen could not sign with {key.private}: "
                           f"{proc.stderr.decode(errors='replace').strip()[-300:]}", fix="check the key file")
    return proc.stdout


def check(data: bytes, signature: bytes, allowed: Path) -> SignatureCheck:
    """Whether ``signature`` signs ``data`` with a key in the trusted ``allowed`` file."""
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".sig") as sig:
        sig.write(signature)
        sig.flush()
        raw = _run("-Y", "check-novalidate", "-n", NAMESPACE, "-s", sig.name, data=data)
        text = raw.stdout.decode(errors="replace") + raw.stderr.decode(errors="replace")
        found = [w for w in text.split() if w.startswith("SHA256:")]
        if raw.returncode != 0 or not found:
            return SignatureCheck(problem="the signature does not match the statement's bytes (altered or forged)")
        fingerprint = found[0]
        if not allowed.is_file():
            return SignatureCheck(fingerprint, problem=f"signed by key {fingerprint}, but there is no trusted "
                                                       f"allowed-signers file {allowed}")
        who = _run("-Y", "find-principals", "-s", sig.name, "-f", str(allowed))
        principal = who.stdout.decode().strip().splitlines()[0] if who.returncode == 0 and who.stdout.strip() else None
        if principal is None:
            return SignatureCheck(fingerprint, problem=f"signed by an unknown key {fingerprint}: not in the trusted "
                                                       f"allowed signers {allowed}")
        ok = _run("-Y", "verify", "-f", str(allowed), "-I", principal, "-n", NAMESPACE, "-s", sig.name, data=data)
        if ok.returncode != 0:
            return SignatureCheck(fingerprint, principal, problem=f"the signature by {fingerprint} does not verify")
        return SignatureCheck(fingerprint, principal)


def git_signing(key: SigningKey) -> list[str]:
    """git options that sign a commit or tag with ``key`` (git's SSH signing). The program is named
    too: the registry's .git/config is writable by whoever can write to the registry, and a
    ``gpg.ssh.program`` there would be handed the private key."""
    return ["-c", "gpg.format=ssh", "-c", f"gpg.ssh.program={ssh_keygen()}", "-c", f"user.signingkey={key.private}"]


def git_verifying(allowed: Path) -> list[str]:
    """git options for `git verify-tag` against the trusted signers, with the real ssh-keygen (a
    ``gpg.ssh.program`` in the registry's config could otherwise answer "Good signature")."""
    return ["-c", f"gpg.ssh.program={ssh_keygen()}", "-c", f"gpg.ssh.allowedSignersFile={allowed}"]
