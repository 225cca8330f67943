"""The GX file context of a datavet project, laid out the way datavet needs it.

* suites live in the project's ``expectations/`` folder (committed, reviewed like code): the
  context's expectations store points there (``Settings.expectations_dir``), without GX's
  ``.ge_store_backend_id`` marker;
* validation results and Data Docs stay where GX puts them, under ``<gx>/uncommitted/`` (gitignored);
* data sources are never saved in ``great_expectations.yml``: datavet validates through an ephemeral
  context (see datavet.gx.engines), so the committed configuration does not change on every run.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from datavet.settings import Settings

CONFIG = "great_expectations.yml"


def file_context(settings: Settings) -> Any:
    """The project's FileDataContext, created on first use."""
    import great_expectations as gx

    root = settings.gx_root
    wanted = os.path.relpath(settings.expectations_dir, root) + "/"
    config_path = root / CONFIG
    if not config_path.is_file():
        root.mkdir(parents=True, exist_ok=True)
        if root.name == "gx":
            gx.get_context(mode="file", project_root_dir=str(root.parent))
        else:
            gx.get_context(mode="file", context_root_dir=str(root))
        stray = root / "expectations"
        if stray.is_dir() and stray.resolve() != settings.expectations_dir.resolve():
            for f in stray.iterdir():
                if f.name == ".ge_store_backend_id":
                    f.unlink()
            if not any(stray.iterdir()):
                stray.rmdir()
    _point_expectations_store(config_path, wanted)
    settings.expectations_dir.mkdir(parents=True, exist_ok=True)
    return gx.get_context(mode="file", context_root_dir=str(root))


def _point_expectations_store(config_path: Path, base_directory: str) -> None:
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    backend = config["stores"]["expectations_store"]["store_backend"]
    if backend.get("base_directory") == base_directory and backend.get("suppress_store_backend_id"):
        return
    backend["base_directory"] = base_directory
    backend["suppress_store_backend_id"] = True
    tmp = config_path.with_suffix(".yml.tmp")
    tmp.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    os.replace(tmp, config_path)
