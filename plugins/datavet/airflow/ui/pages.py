"""HTML for the datavet pages: Jinja templates with autoescape on (category values, answers and
failure texts are untrusted), links built from the mount's root path so a sub-path deployment
(``AIRFLOW__API__BASE_URL=https://host/airflow``) keeps working, and strict CSPs: the pages run
no script at all, and the datasheet keeps the policy it carries in its own ``<meta>``."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import Request
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "ui"
# Airflow's UI shows the pages in a frame of its own origin, so frame-ancestors is 'self'.
PAGE_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-src 'self'; "
            "form-action 'self'; base-uri 'none'; frame-ancestors 'self'")
SHEET_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; frame-ancestors 'self'"

_env = Environment(loader=FileSystemLoader(str(TEMPLATES)), undefined=StrictUndefined,
                   autoescape=select_autoescape(default=True), trim_blocks=True, lstrip_blocks=True)


def sequence_of(tag: str) -> int:
    from datavet.registry import Registry

    return Registry.sequence_of(tag)


def render(request: Request, template: str, **values: object) -> str:
    root = request.scope.get("root_path", "").rstrip("/")

    def href(*parts: object) -> str:
        """A link inside the app: every part is URL-quoted (dataset names are user text)."""
        return root + "/" + "/".join(quote(str(p), safe="") for p in parts)

    return _env.get_template(template).render(href=href, sequence_of=sequence_of, **values)
