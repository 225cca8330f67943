"""What the auditor pages and API show of the server's file system: nothing absolute.

A certificate, a recorded failure or a verification problem may name a file by its absolute path
(the registry, the DVC cache and remote, the spec, a source file); any asset reader can see these
pages, and the layout of the server is none of their business. Paths under the registry are shown
relative to it, the state folder, project and local remote relative to the registry too (``../``),
and any other absolute path as ``…/`` and its last part. Downloads stay byte for byte as certified.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable
from typing import Any

from datavet.settings import Settings

_ABSOLUTE = re.compile(r"(?<![\w.:/~\-])/(?:[^\s/'\"<>:;,()\[\]{}]+/)+([^\s/'\"<>:;,()\[\]{}]*)")


def redactor(settings: Settings) -> Callable[[Any], Any]:
    """A function mapping any JSON-like value (or DatasetEntry) to the same with paths made relative."""
    registry = str(settings.registry)
    roots = {registry: "."}
    for path in (settings.home, settings.project, settings.remote if "://" not in str(settings.remote) else None):
        if path is not None:
            roots.setdefault(str(path), os.path.relpath(str(path), registry))
    ordered = sorted(roots.items(), key=lambda kv: -len(kv[0]))

    def text(value: str) -> str:
        for root, rel in ordered:
            value = value.replace(root + "/", "" if rel == "." else rel + "/")
            value = re.sub(re.escape(root) + r"(?![\w.\-])", rel, value)
        return _ABSOLUTE.sub(lambda m: "…/" + m.group(1), value)

    def shown(value: Any) -> Any:
        if isinstance(value, str):
            return text(value)
        if isinstance(value, dict):
            return {k: shown(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [shown(v) for v in value]
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return dataclasses.replace(value, **{f.name: shown(getattr(value, f.name))
                                                 for f in dataclasses.fields(value)})
        return value

    return shown
