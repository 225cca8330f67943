"""The data registry: a git repository whose commits hold the ``.dvc`` files, validation results,
datasheets and certificates (DVC's data-registry pattern), with the bytes in a DVC remote.

DVC holds a repository lock, so every operation that touches the workspace runs under one
inter-process file lock: parallel DAG runs, retries and CLI calls queue instead of failing.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from datavet.errors import RegistryError
from datavet.registry import dvctree
from datavet.registry.lock import hold, locking

if TYPE_CHECKING:  # pragma: no cover
    from datavet.registry.signing import SigningKey
    from datavet.settings import Settings
from datavet.fsutil import atomic_copy, file_md5


@dataclass(frozen=True)
class Registry:
    root: Path
    remote: str
    lock_timeout: float = 600.0  # seconds to wait for another datavet process's lock
    trusted_signers: Path | None = None  # the allowed-signers file verify trusts (outside the registry)

    @classmethod
    def of(cls, settings: Settings) -> Registry:
        """The registry the settings name (state paths and lock timeout from DATAVET_*)."""
        return cls(root=settings.registry, remote=settings.remote, lock_timeout=settings.lock_timeout,
                   trusted_signers=settings.allowed_signers)

    # ---- tags -----------------------------------------------------------------------------------
    @staticmethod
    def tag_for(name: str, sequence: int) -> str:
        """The tag of a dataset's ``sequence``-th certification."""
        return f"{name}/certified/{sequence}"

    @staticmethod
    def sequence_of(tag: str) -> int:
        return int(tag.rsplit("/", 1)[1])

    @staticmethod
    def dataset_of_document(path: Path) -> str | None:
        """The dataset a document in a registry's layout belongs to (its folder), if it is in one."""
        parts = path.resolve().parts
        for marker in ("certificates", "datasheets", "validations"):
            if marker in parts[:-2]:
                return parts[parts.index(marker) + 1]
        return None

    # ---- layout --------------------------------------------------------------------------------
    def data_path(self, name: str, md5: str | None = None) -> Path:
        """A table version's Parquet file, or (a tree's ``md5``, or a tree pointer in the workspace)
        the folder of a tree version (``data/<name>/<name>``, a DVC directory output)."""
        return self._out(name, self._is_tree(name, md5))

    def dvc_file(self, name: str, md5: str | None = None) -> Path:
        out = self._out(name, self._is_tree(name, md5))
        return out.with_name(f"{out.name}.dvc")

    def _out(self, name: str, tree: bool) -> Path:
        return self.root / "data" / name / (name if tree else f"{name}.parquet")

    def _is_tree(self, name: str, md5: str | None) -> bool:
        if md5 is not None:
            return dvctree.is_tree(md5)
        return (self.root / "data" / name / f"{name}.dvc").is_file()

    def datasheet_dir(self, name: str) -> Path:
        return self.root / "datasheets" / name

    def certificate_path(self, name: str, md5: str) -> Path:
        return self.root / "certificates" / name / f"{md5}.json"

    def statement_path(self, name: str, md5: str) -> Path:
        """The signed in-toto statement of the certification (``.sig`` beside it: its SSH signature)."""
        return self.root / "certificates" / name / f"{md5}.intoto.json"

    def signature_path(self, name: str, md5: str) -> Path:
        return self.root / "certificates" / name / f"{md5}.intoto.json.sig"

    @property
    def allowed_signers_path(self) -> Path:
        """The registry's own allowed-signers file: for people who clone it, never trusted by verify."""
        return self.root / "allowed_signers"

    @property
    def journal_path(self) -> Path:
        """The write-ahead record of a certification in progress (private state: not in the work tree)."""
        return self.root / ".git" / "datavet-journal.json"

    def validation_path(self, name: str, md5: str) -> Path:
        return self.root / "validations" / name / f"{md5}.json"

    def metrics_path(self, name: str) -> Path:
        return self.root / "metrics" / f"{name}.json"

    def declare_metrics(self, name: str) -> Path:
        """List the dataset's metrics file in the registry's dvc.yaml (for `dvc metrics diff`)."""
        import yaml

        from datavet.fsutil import atomic_write_text

        path = self.root / "dvc.yaml"
        doc = (yaml.safe_load(path.read_text()) if path.exists() else None) or {}
        rel = self.metrics_path(name).relative_to(self.root).as_posix()
        if rel not in doc.setdefault("metrics", []):
            doc["metrics"].append(rel)
            atomic_write_text(path, yaml.safe_dump(doc, sort_keys=False))
        return path

    def staging_dir(self, name: str, md5: str) -> Path:
        """Per-version scratch space between DAG tasks (gitignored, content-addressed by md5)."""
        return self.incoming_dir(name) / md5

    def incoming_dir(self, name: str) -> Path:
        """Where a dataset's version stage materialises a source (gitignored scratch space)."""
        return self.root / ".staging" / name

    @staticmethod
    def document_kind(rel: str) -> str:
        """What a certified document is, by its registry-relative path."""
        if rel.startswith("datasheets/"):
            return "datasheet"
        return "validation" if rel.startswith("validations/") else "metrics"

    @property
    def cache_dir(self) -> Path:
        return self.root / ".dvc" / "cache"

    @property
    def remote_dir(self) -> Path | None:
        """A local-directory remote's folder; None for cloud remotes."""
        return None if "://" in self.remote else Path(self.remote)

    def cache_path(self, md5: str) -> Path:
        return dvctree.object_path(self.cache_dir, md5)

    def remote_object(self, md5: str) -> Path | None:
        """Where a local-directory remote keeps the bytes; None for cloud remotes."""
        return None if self.remote_dir is None else dvctree.object_path(self.remote_dir, md5)

    # ---- processes ------------------------------------------------------------------------------
    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run git or dvc in the registry; failures become RegistryError with the tool's message."""
        cmd = [sys.executable, "-m", "dvc", *args[1:]] if args[0] == "dvc" else list(args)
        env = {**os.environ, "DVC_NO_ANALYTICS": "1", "GIT_TERMINAL_PROMPT": "0"}
        proc = run_to_completion(cmd, cwd=self.root, env=env)
        if check and proc.returncode != 0:
            lines = (proc.stderr or proc.stdout).strip().splitlines()
            detail = [line for line in lines if line.strip() and "Having any troubles?" not in line][-5:]
            raise RegistryError(f"`{' '.join(args)}` failed in {self.root}: " + " / ".join(detail),
                                fix="check the registry and its DVC remote (datavet verify shows details)")
        return proc

    def git(self, *args: str, check: bool = True) -> str:
        return self.run("git", *args, check=check).stdout.strip()

    @contextlib.contextmanager
    def locked(self, dataset: str | None = None) -> Iterator[None]:
        """Serialise DVC/git work on this workspace across processes (DVC's own lock would fail).

        With ``dataset``, a separate per-dataset lock instead: it guards a version's staging folder,
        so two runs of one DAG never validate into, or delete, each other's staged files. Re-entrant
        in a process (datavet.registry.lock): the methods marked ``@locking`` take it themselves."""
        self.root.mkdir(parents=True, exist_ok=True)
        lock_path = self.root.parent / (f".{self.root.name}.lock" if dataset is None
                                        else f".{self.root.name}.{dataset}.lock")
        with hold(lock_path, self.lock_timeout, f"registry {self.root}"):
            yield

    # ---- set-up ---------------------------------------------------------------------------------
    @locking
    def ensure(self) -> None:
        """Create the git + DVC repository and its default remote if they are not there yet."""
        self.root.mkdir(parents=True, exist_ok=True)
        if not (self.root / ".git").exists():
            self.git("init", "-q", "-b", "main")
            self.git("config", "user.name", "datavet")
            self.git("config", "user.email", "datavet@localhost")
        if not (self.root / ".dvc").exists():
            self.run("dvc", "init", "-q")
            self._set_dvc_config({("core", "autostage"): "false"})
            (self.root / ".gitignore").write_text("/.staging/\n")
            self.git("add", ".dvc", ".dvcignore", ".gitignore")
            self.git("commit", "-q", "-m", "Initialise datavet data registry")
        config = self._dvc_config()
        # Compare the URL too: a copied or moved registry, or a changed DATAVET_REMOTE, would otherwise
        # push to the old remote while in_remote() looks in the new one.
        if config.get(("core", "remote")) != "storage" or not self._is_remote_url(config.get(("remote", "url"))):
            url = self.remote
            if "://" not in self.remote:
                try:
                    Path(self.remote).mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise RegistryError(f"cannot create the DVC remote {self.remote}: {exc.strerror}",
                                        fix="point DATAVET_REMOTE at a writable directory or URL") from None
                url = os.path.relpath(self.remote, self.root / ".dvc")  # as DVC keeps it: relative to .dvc/
            self._set_dvc_config({("core", "remote"): "storage", ("remote", "url"): url})
            self.git("add", ".dvc/config")
            self.git("commit", "-q", "-m", f"Use DVC remote {self.remote}")

    # DVC's project config is an INI file (``.dvc/config``); datavet reads and writes its three keys
    # directly: each `dvc config` call costs a second of DVC's start-up, twice per certification.
    _SECTIONS = {"core": "core", "remote": "'remote \"storage\"'"}

    def _dvc_config(self) -> dict[tuple[str, str], str]:
        """{(section, key): value} of the keys datavet manages (section "remote": the remote "storage")."""
        import configparser

        parser = configparser.ConfigParser(interpolation=None)
        parser.read(self.root / ".dvc" / "config", encoding="utf-8")
        return {(name, key): parser[section][key] for name, section in self._SECTIONS.items()
                if parser.has_section(section) for key in parser[section]}

    def _set_dvc_config(self, values: dict[tuple[str, str], str]) -> None:
        import configparser

        from datavet.fsutil import atomic_write_text

        path = self.root / ".dvc" / "config"
        parser = configparser.ConfigParser(interpolation=None)
        parser.optionxform = str  # keep keys as written
        parser.read(path, encoding="utf-8")
        for (name, key), value in values.items():
            section = self._SECTIONS[name]
            if not parser.has_section(section):
                parser.add_section(section)
            parser[section][key] = value
        lines = []
        for section in parser.sections():
            lines.append(f"[{section}]")
            lines += [f"    {key} = {value}" for key, value in parser[section].items()]
        atomic_write_text(path, "\n".join(lines) + "\n")

    def _is_remote_url(self, url: str | None) -> bool:
        """Whether DVC's configured URL (local paths are kept relative to ``.dvc/``) is our remote."""
        if url is None or "://" in self.remote or "://" in url:
            return url == self.remote
        return os.path.normpath(self.root / ".dvc" / url) == os.path.normpath(os.path.abspath(self.remote))

    # ---- versions -------------------------------------------------------------------------------
    @locking
    def cache_version(self, parquet: Path, md5: str) -> Path:
        """Put a version's bytes into the DVC cache only, where `dvc add` would (``files/md5/xx/...``,
        read-only), without touching any tracked file: the ``.dvc`` pointer changes only inside a
        certification, so a version that is never certified leaves the registry as it was."""
        target = self.cache_path(md5)
        if target.is_file() and file_md5(target) == md5:
            return target
        target.unlink(missing_ok=True)  # damaged: store_object keeps an object of the right size
        return dvctree.store_object(self.cache_dir, md5, src=parquet)  # linked: the staged copy is deleted after

    @locking
    def add_version(self, name: str, parquet: Path, md5: str) -> None:
        """Place the version at the workspace path and point its ``.dvc`` file at it, as `dvc add`
        writes them (the bytes are in the cache already: ``cache_version``).

        Versioning only adds to the local cache: the remote receives bytes at certification, so a
        version that fails its checks leaves the remote exactly as it was."""
        target = self.data_path(name, md5)
        if not target.exists() or file_md5(target) != md5:
            atomic_copy(parquet, target)  # a full disk leaves no partial copy behind
        dvctree.write_pointer(self.dvc_file(name, md5), dvctree.pointer(md5, target.stat().st_size, target.name))

    @locking
    def cache_tree(self, folder: Path, entries: list[dvctree.Entry], staged: Iterable[str] | None = None) -> str:
        """A tree version into the DVC cache only (one object per file, shared between versions,
        and its ``.dir`` listing), touching no tracked file; returns its ``<md5>.dir``."""
        return dvctree.cache_tree(self.cache_dir, folder, entries, staged)

    def tree_entries(self, md5: str) -> list[dvctree.Entry]:
        """The files of tree version ``md5``, from the cache's ``.dir`` listing (else the local remote's)."""
        for store in (self.cache_dir, self.remote_dir):
            entries = None if store is None else dvctree.read_tree(store, md5)
            if entries is not None:
                return entries
        raise RegistryError(f"no intact listing of tree version {md5} in the cache or the remote",
                            fix="run `dvc pull` in the registry, or re-run the certify DAG")

    @locking
    def add_tree(self, name: str, md5: str, size: int) -> None:
        """Point ``data/<name>/<name>.dvc`` at a cached tree, as `dvc add` would write it.

        The files are not checked out into the workspace (consumers check a version out with
        ``datavet.open_certified``): a registry holds many versions, and DVC needs only the cache."""
        entries = self.tree_entries(md5)
        rel = self.data_path(name, md5).name
        dvctree.write_pointer(self.dvc_file(name, md5), dvctree.pointer(md5, size, rel, nfiles=len(entries)))

    @locking
    def retire_other_kind(self, name: str, md5: str) -> None:
        """A dataset that changed kind (one table <-> a tree of files): the old kind's pointer leaves the
        workspace and the index, so the certification commit records one version, the new one. Earlier
        tags keep theirs; a failed certification's reset brings it back."""
        other = self._out(name, not dvctree.is_tree(md5))
        pointer = other.with_name(f"{other.name}.dvc")
        if not pointer.exists():
            return
        self.git("rm", "-q", "--", pointer.relative_to(self.root).as_posix())
        if other.is_dir():
            shutil.rmtree(other)
        else:
            other.unlink(missing_ok=True)

    def version_size(self, md5: str) -> int:
        """Bytes of a version: the Parquet file, or the sum of a tree's files."""
        if not dvctree.is_tree(md5):
            return self.bytes_path(md5).stat().st_size
        return dvctree.tree_size(self.cache_dir, self.tree_entries(md5))

    @locking
    def push(self, name: str, md5: str) -> None:
        """Send a version to the remote and check it arrived: a local-directory remote gets the missing
        objects copied in DVC's layout, each object it already held re-hashed (dvctree.push_local);
        any other remote is DVC's to push to and to report on. Call after the cache objects were
        re-hashed in this run (datavet.registry.identity)."""
        if self.remote_dir is not None:
            try:
                dvctree.push_local(self.cache_dir, self.remote_dir, md5)
            except OSError as exc:
                where = f" on {exc.filename}" if exc.filename else ""
                raise RegistryError(f"pushing version {md5} into the DVC remote {self.remote} failed{where}: "
                                    f"{exc.strerror or exc} (datavet copies the objects a `dvc push` would)",
                                    fix="check the remote is mounted and writable (DATAVET_REMOTE), then re-run "
                                        "(the stage is safe to retry; nothing was certified)") from exc
            arrived = os.path.isfile(dvctree.object_file(self.remote_dir, md5))  # each object checked by push_local
        else:
            self.run("dvc", "push", "-q", str(self.dvc_file(name, md5).relative_to(self.root)))
            arrived = self.in_remote(md5)
        if not arrived:
            raise RegistryError(f"version {md5} is not in the DVC remote {self.remote} after push",
                                fix="check the remote is reachable and writable")

    def recorded_md5(self, name: str, rev: str | None = None) -> str | None:
        """The md5 a ``.dvc`` file records (in the workspace, or at a git revision)."""
        import yaml

        if rev is None:
            if not self.dvc_file(name).exists():
                return None
            text = self.dvc_file(name).read_text()
        else:
            for out in (self._out(name, tree=False), self._out(name, tree=True)):
                rel = out.with_name(f"{out.name}.dvc").relative_to(self.root).as_posix()
                proc = self.run("git", "show", f"{rev}:{rel}", check=False)
                if proc.returncode == 0:
                    break
            else:
                return None
            text = proc.stdout
        outs = (yaml.safe_load(text) or {}).get("outs") or [{}]
        return outs[0].get("md5")

    def in_remote(self, md5: str) -> bool:
        """Whether the remote holds these bytes (checked by md5 for local remotes, by dvc otherwise)."""
        obj = self.remote_object(md5)
        if obj is not None and dvctree.is_tree(md5):  # every file's object, by content
            return not dvctree.tree_problems(self.remote_dir, md5, "DVC remote")  # type: ignore[arg-type]
        if obj is not None:
            return obj.is_file() and file_md5(obj) == md5
        return "not in remote" not in self.run("dvc", "status", "-c", "-q", check=False).stdout

    def bytes_path(self, md5: str) -> Path:
        """A readable file with exactly these bytes: the DVC cache, else the local remote."""
        for candidate in (self.cache_path(md5), self.remote_object(md5)):
            if candidate is not None and candidate.is_file():
                return candidate
        raise RegistryError(f"no copy of version {md5} in the cache or the remote",
                            fix="run `dvc pull` in the registry, or re-run the certify DAG")

    @locking
    def commit_certification(self, paths: list[str], message: str, tag: str, tag_message: str,
                             key: SigningKey | None) -> None:
        """git add, commit and tag; with ``key``, the commit and the tag are SSH-signed (git's
        ``gpg.format ssh``). The registry's git config names the same key and the trusted signers,
        so `git log --show-signature` and `git verify-tag` work by hand too."""
        signed: list[str] = []
        if key is not None:
            from datavet.registry.signing import git_signing

            signed = git_signing(key)
            self._configure_signing(key)
        self.git("add", "--", *paths)
        self.git(*signed, "commit", "-q", *(["-S"] if signed else []), "-m", message)
        self.git(*signed, "tag", "-s" if signed else "-a", tag, "-m", tag_message)

    def _configure_signing(self, key: SigningKey) -> None:
        from datavet.registry.signing import ssh_keygen

        wanted = {"gpg.format": "ssh", "gpg.ssh.program": ssh_keygen(), "user.signingkey": str(key.private)}
        if self.trusted_signers is not None:
            wanted["gpg.ssh.allowedSignersFile"] = str(self.trusted_signers)
        pattern = "^(" + "|".join(name.lower().replace(".", "\\.") for name in wanted) + ")$"
        current = dict(line.split(" ", 1) for line in self.git("config", "--local", "--get-regexp", pattern,
                                                                 check=False).splitlines() if " " in line)
        for name, value in wanted.items():
            if current.get(name.lower()) != value:
                self.git("config", "--local", name, value)

    # ---- recovery -------------------------------------------------------------------------------
    CERTIFIED_DIRS = ("data", "certificates", "validations", "datasheets", "metrics", "allowed_signers")

    @locking
    def discard_uncommitted(self) -> list[str]:
        """Bring the workspace back to HEAD after an interrupted or failed certification.

        Call under :meth:`locked`: then no other datavet process is writing, so anything uncommitted
        is what a killed or failed run left (a stale ``index.lock``, an untagged certify commit,
        changed or new files, a data file that no longer matches its ``.dvc`` pointer). Returns what
        was discarded (empty if the workspace was clean)."""
        from datavet.registry import journal

        discarded: list[str] = journal.recover(self)
        lock = self.root / ".git" / "index.lock"
        if lock.exists():
            lock.unlink()
            discarded.append(".git/index.lock")
        if self.git("log", "-1", "--format=%s").startswith("Certify ") and not self.git("tag", "--points-at", "HEAD"):
            discarded.append(f"untagged commit {self.git('rev-parse', '--short', 'HEAD')}")
            self.git("reset", "-q", "--soft", "HEAD~1")
        status = self.git("status", "--porcelain", "--untracked-files=all")
        if status:
            discarded += status.splitlines()
            self.git("reset", "-q", "--hard", "HEAD")
            self.git("clean", "-fdq", "--", *self.CERTIFIED_DIRS)
        for data in sorted((self.root / "data").glob("*/*.parquet")):
            name = data.parent.name
            head = self.recorded_md5(name, rev="HEAD")
            if head is None:
                data.unlink()
                discarded.append(f"uncommitted {data.relative_to(self.root)}")
            elif file_md5(data) != head:
                self.run("dvc", "checkout", "-f", "-q", str(self.dvc_file(name).relative_to(self.root)), check=False)
                discarded.append(f"{data.relative_to(self.root)} checked out at {head}")
        journal.end(self)
        return discarded

    # ---- tags -----------------------------------------------------------------------------------
    def certified_tags(self, name: str) -> list[str]:
        """Tags ``<name>/certified/<n>`` in numeric order."""
        out = self.git("tag", "--list", f"{name}/certified/*", check=False) if (self.root / ".git").exists() else ""
        tags = [t for t in out.splitlines() if t.rsplit("/", 1)[-1].isdigit()]
        return sorted(tags, key=lambda t: int(t.rsplit("/", 1)[-1]))

    def show(self, rev: str, path: Path) -> bytes:
        rel = path.relative_to(self.root).as_posix()
        proc = subprocess.run(["git", "show", f"{rev}:{rel}"], cwd=self.root, capture_output=True)
        if proc.returncode != 0:
            raise RegistryError(f"{rel} is not in registry revision {rev}",
                                fix="check the tag with `datavet history`")
        return proc.stdout


def run_to_completion(cmd: list[str], *, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run git or DVC so that an interrupt of datavet never cuts one of their commands short.

    ``subprocess.run`` kills its child when Ctrl-C or SIGTERM unwinds the caller, and a killed
    ``git commit`` leaves ``.git/index.lock`` behind: every later certification of every dataset then
    fails until someone deletes it. The child runs in a session of its own (a terminal's Ctrl-C or a
    scheduler's signal to the process group does not reach it), and an interrupt waits for it to
    finish before it unwinds datavet, which then rolls back what the command did (datavet.stages.certify);
    a second interrupt leaves the command to finish on its own."""
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        out, err = proc.communicate()
    except BaseException:
        proc.communicate()
        raise
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)
