"""The write-ahead record of a certification (``.git/datavet-journal.json``: private state, never in
the work tree or a commit).

It is written before the first change to the registry's workspace and removed after the tag, so a
certification killed at any step (push, documents, ``git add``, ``git commit``, ``git tag``) leaves
a journal behind. While one is there, ``verify`` compares only what is committed (the workspace
holds a half-written certification, not a changed one), and the next certification, under the lock,
either finishes it (its tag exists at HEAD: only the journal was left) or rolls the workspace back
to the commit it started from.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from datavet.fsutil import atomic_write_text
from datavet.registry.repo import Registry


def begin(registry: Registry, dataset: str, md5: str, tag: str) -> None:
    record = {"dataset": dataset, "md5": md5, "tag": tag, "head": registry.git("rev-parse", "HEAD"),
              "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    atomic_write_text(registry.journal_path, json.dumps(record, indent=2) + "\n")


def end(registry: Registry) -> None:
    registry.journal_path.unlink(missing_ok=True)


def pending(registry: Registry) -> dict[str, Any] | None:
    """The journal of an unfinished certification, if any (an unreadable one counts, as ``{}``)."""
    try:
        data = json.loads(registry.journal_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def finished(registry: Registry, record: dict[str, Any]) -> bool:
    """Whether the journal's certification got as far as its tag, on the commit HEAD is at."""
    tag = record.get("tag")
    if not tag:
        return False
    tagged = registry.git("rev-parse", "-q", "--verify", f"refs/tags/{tag}^{{commit}}", check=False)
    return bool(tagged) and tagged == registry.git("rev-parse", "HEAD")


def recover(registry: Registry) -> list[str]:
    """Finish, or start rolling back, what a killed certification left (``Registry.discard_uncommitted``
    calls it under the lock, restores the workspace, then ends the journal: killed during the
    recovery, the journal is still there)."""
    record = pending(registry)
    if record is None:
        return []
    if finished(registry, record):
        end(registry)
        return [f"the journal of {record.get('tag')} (certified; only the journal was left)"]
    done = []
    head = record.get("head")
    lock = registry.root / ".git" / "index.lock"
    if lock.exists():
        lock.unlink()
        done.append(".git/index.lock")
    ours = registry.git("log", "-1", "--format=%P %s", check=False)  # "<parent> Certify <name> ..."
    if head and registry.git("rev-parse", "HEAD") != head and ours.startswith(f"{head} Certify "):
        done.append(f"untagged commit {registry.git('rev-parse', '--short', 'HEAD')}")
        registry.git("reset", "-q", "--soft", head)  # only the journal's own commit: never someone else's
    return [f"interrupted certification of {record.get('tag')}", *done]  # the caller ends the journal
