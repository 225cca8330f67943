"""Which certified version consumers get by default: the newest, unless one was promoted since.

``datavet promote NAME VERSION`` makes a certified version current (a rollback is promoting an
earlier one): ``load_certified``, ``open_certified``, ``verify`` and ``show`` without a version then
use it. The record is ``current/<name>.json`` in the registry, committed, so the git log of that
file is the history of promotions (who, when, from which version). A certification made after a
promotion is newer than it and becomes current: the record names the newest tag at promotion time,
and counts only while that is still the newest.

The record is read from the registry's HEAD, not from the workspace: an uncommitted edit of the
file changes nothing, and a record naming a tag that is not certified is refused.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
from dataclasses import dataclass
from pathlib import Path

from datavet.errors import NotCertifiedError, RegistryError
from datavet.registry.repo import Registry

FOLDER = "current"


@dataclass(frozen=True)
class Promotion:
    tag: str  # the promoted version
    newest: str  # the newest certified tag when it was promoted
    promoted_at: str
    promoted_by: str


def record_path(registry: Registry, name: str) -> Path:
    return registry.root / FOLDER / f"{name}.json"


def promotion(registry: Registry, name: str) -> Promotion | None:
    """The committed promotion record of ``name``, if any."""
    if not (registry.root / ".git").is_dir():
        return None
    rel = record_path(registry, name).relative_to(registry.root).as_posix()
    proc = registry.run("git", "show", f"HEAD:{rel}", check=False)
    if proc.returncode != 0:
        return None
    try:
        data = json.loads(proc.stdout)
        return Promotion(tag=data["tag"], newest=data["newest"], promoted_at=data["promoted_at"],
                         promoted_by=data.get("promoted_by", ""))
    except (ValueError, KeyError, TypeError):
        raise RegistryError(f"{rel} in the registry {registry.root} is not a promotion record", dataset=name,
                            fix="promote a version again (datavet promote NAME VERSION)") from None


def current_tag(registry: Registry, name: str, tags: list[str] | None = None) -> str | None:
    """The tag consumers get by default (None: nothing certified)."""
    tags = registry.certified_tags(name) if tags is None else tags
    if not tags:
        return None
    found = promotion(registry, name)
    if found is None or found.newest != tags[-1]:
        return tags[-1]
    if found.tag not in tags:
        raise RegistryError(f"the promotion record names {found.tag}, which is not certified", dataset=name,
                            fix="promote a certified version (datavet history lists them)")
    return found.tag


def promote(registry: Registry, name: str, tag: str) -> tuple[str | None, bool]:
    """Make certified ``tag`` current; returns (the previous current tag, whether anything changed)."""
    with registry.locked():
        tags = registry.certified_tags(name)
        if tag not in tags:
            raise NotCertifiedError(f"{tag} is not certified", dataset=name,
                                    fix="pick a certified version (datavet history)")
        before = current_tag(registry, name, tags)
        if before == tag:
            return before, False
        path = record_path(registry, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        record = {"dataset": name, "tag": tag, "newest": tags[-1], "previous": before,
                  "promoted_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                  "promoted_by": _who()}
        path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
        rel = path.relative_to(registry.root).as_posix()
        try:
            registry.git("add", rel)
            # only this file: whatever an interrupted run left staged is not committed with it
            registry.git("commit", "-q", "-m", f"Promote {tag} as the current version of {name} (was {before})",
                         "--", rel)
        except BaseException:
            registry.git("reset", "-q", "HEAD", "--", rel, check=False)
            registry.git("checkout", "-q", "HEAD", "--", rel, check=False)  # back to the committed record
            if registry.run("git", "cat-file", "-e", f"HEAD:{rel}", check=False).returncode != 0:
                path.unlink(missing_ok=True)
            raise
        return before, True


def promotions(registry: Registry, name: str) -> list[dict[str, str]]:
    """Every promotion of ``name``, oldest first: when, and the commit's words."""
    rel = record_path(registry, name).relative_to(registry.root).as_posix()
    if not (registry.root / ".git").is_dir():
        return []
    out = registry.git("log", "--reverse", "--format=%cI%x09%s", "--", rel, check=False)
    return [dict(zip(("at", "what"), line.split("\t", 1), strict=True)) for line in out.splitlines() if "\t" in line]


def _who() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def not_current_note(registry: Registry, name: str, tag: str) -> str | None:
    """What to tell someone whose data was found certified as ``tag`` when that is not the version
    consumers get (e.g. a restored older source): which is current, and how to make ``tag`` current."""
    current = current_tag(registry, name)
    if current is None or current == tag:
        return None
    return (f"{name}: {tag} is not the current version: load_certified, open_certified and verify use {current} "
            f"by default. To make {tag} current: datavet promote {name} {tag.rsplit('/', 1)[-1]}")
