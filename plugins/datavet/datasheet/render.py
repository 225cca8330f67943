"""Render one Datasheet model as Markdown (a Hugging Face dataset card), a self-contained HTML page
for auditors, and JSON; write all three atomically; read back the md5 a document states.

Every value reaches a document through an escaping step (HTML autoescape; the Markdown environment
escapes every expression too), because category values and answers are untrusted text.
"""

from __future__ import annotations

import html
import json
import os
import re
from pathlib import Path

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from datavet.datasheet.croissant import FILE_NAME as CROISSANT_FILE
from datavet.datasheet.croissant import Layout, render_croissant
from datavet.datasheet.models import Datasheet
from datavet.datasheet.views import blocks, build_view, front_matter, limits_text, num, pct, pvalue, shown_digits
from datavet.fsutil import new_temp_file

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
FILES = {"md": "datasheet.md", "html": "datasheet.html", "json": "datasheet.json", "croissant": CROISSANT_FILE}
MD5_META = "datavet:data-md5"


def md_escape(value: object) -> str:
    """Neutralise HTML in Markdown output (Markdown renderers pass raw HTML through), and links whose
    target is not a web, mail or in-page address (``[x](javascript:...)`` stays text)."""
    if value is None:
        return ""
    if isinstance(value, Markup):
        return str(value)
    return md_links(str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


# A link or image target, inline (``](target``) or a reference definition (``[x]: target``).
_LINK = re.compile(r"(\]\s*)\((\s*)([^)\s]*)")
_REFERENCE = re.compile(r"^([ \t]{0,3})\[([^\]\n]*)\]:([ \t]*)(\S*)", re.MULTILINE)
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.\-]*:")
SAFE_SCHEMES = ("http:", "https:", "mailto:")


def _safe_target(target: str) -> bool:
    """A target a reader may follow: a web or mail address, or one without a scheme (relative, #)."""
    plain = "".join(ch for ch in target if ch.isprintable() and not ch.isspace())
    return not _SCHEME.match(plain) or plain.lower().startswith(SAFE_SCHEMES)


def md_links(text: str) -> str:
    """Markdown with every link to another scheme (javascript:, data:, vbscript:, file:) turned into
    plain text: the bracket that makes it a link is escaped, the words stay."""
    text = _LINK.sub(lambda m: m.group(0) if _safe_target(m.group(3)) else
                     f"{m.group(1)}\\({m.group(2)}{m.group(3)}", text)
    return _REFERENCE.sub(lambda m: m.group(0) if _safe_target(m.group(4)) else
                          f"{m.group(1)}\\[{m.group(2)}\\]:{m.group(3)}{m.group(4)}", text)


_MD_PUNCT = re.compile(r"([\\`*_\[\]|#])")


def md_cell(value: object) -> str:
    """A Markdown table cell holding untrusted text: one line, Markdown syntax escaped (no links,
    emphasis or broken columns); HTML is escaped afterwards by the environment's finalize."""
    return _MD_PUNCT.sub(r"\\\1", " ".join(str("" if value is None else value).split()))


def shift(value: float) -> str:
    """A change of a share or rate, in percentage points with its sign."""
    return f"{value * 100:+.{shown_digits(abs(value * 100), 2)}f} pp"


def _env(markdown: bool) -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                      autoescape=not markdown, finalize=md_escape if markdown else None)
    env.filters.update(pct=pct, num=num, pvalue=pvalue, cell=md_cell, blocks=blocks, shift=shift,
                       limits=limits_text)
    return env


def render_json(sheet: Datasheet) -> str:
    return json.dumps(sheet.model_dump(mode="json"), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def render_markdown(sheet: Datasheet) -> str:
    meta = yaml.safe_dump(front_matter(sheet), sort_keys=False, allow_unicode=True, width=100)
    body = _env(markdown=True).get_template("datasheet.md.j2").render(sheet=sheet, view=build_view(sheet))
    return f"---\n{meta}---\n\n{body}"


def render_html(sheet: Datasheet) -> str:
    return _env(markdown=False).get_template("datasheet.html.j2").render(
        sheet=sheet, view=build_view(sheet), md5_meta=MD5_META)


def render_all(datasheet: Datasheet, out_dir: Path, distribution: Layout | None = None) -> dict[str, Path]:
    """Write datasheet.md/.html/.json (and, given the version's file, the Croissant document) into
    ``out_dir``, all or nothing.

    Everything is rendered first, then written to temp files beside the targets, then moved into
    place; if anything fails, the temp files go and any target already replaced gets its old bytes
    back (or is removed if it is new), so readers never see a mixed or partial set.
    """
    texts = {kind: fn(datasheet) for kind, fn in
             (("md", render_markdown), ("html", render_html), ("json", render_json))}
    if distribution is not None:
        texts["croissant"] = render_croissant(datasheet, distribution)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    targets = {kind: out_dir / FILES[kind] for kind in texts}
    temps: dict[str, str] = {}
    backups: dict[str, bytes | None] = {}
    try:
        for kind, text in texts.items():
            fd, tmp = new_temp_file(targets[kind])  # mode from the umask: documents are meant to be read
            temps[kind] = tmp
            with os.fdopen(fd, "wb") as fh:
                fh.write(text.encode("utf-8"))
                fh.flush()
                os.fsync(fh.fileno())
        for kind, tmp in temps.items():
            target = targets[kind]
            backups[kind] = target.read_bytes() if target.exists() else None
            os.replace(tmp, target)
    except BaseException:
        for kind, old in backups.items():
            if old is None:
                targets[kind].unlink(missing_ok=True)
            else:
                targets[kind].write_bytes(old)
        for tmp in temps.values():
            if os.path.exists(tmp):
                os.unlink(tmp)
        raise
    return targets


_HTML_META = re.compile(r'<meta\s+name="datavet:([a-z0-9-]+)"\s+content="([^"]*)"')
_MD5 = re.compile(r"^[0-9a-f]{32}(\.dir)?$")  # a file's md5, or a tree's <md5>.dir


def datasheet_identity(path: Path | str) -> dict[str, str]:
    """What a rendered datasheet (md, html or json) says it describes: ``dataset`` and ``data_md5``,
    each present only when the document states it, so a copy can be verified on its own."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    found: object = None
    suffix = path.suffix.lower()
    if suffix == ".json":
        try:
            found = json.loads(text)
        except ValueError:
            return {}
    elif suffix in (".html", ".htm"):
        meta = {name: html.unescape(value) for name, value in _HTML_META.findall(text)}
        found = {"data_md5": meta.get("data-md5"), "dataset": meta.get("dataset")}
    elif text.startswith("---\n"):
        end = text.find("\n---", 4)
        try:
            meta = yaml.safe_load(text[4:end]) if end != -1 else None
        except yaml.YAMLError:
            return {}
        found = meta.get("datavet") if isinstance(meta, dict) else None
    if not isinstance(found, dict):
        return {}
    out = {key: found[key] for key in ("dataset", "data_md5") if isinstance(found.get(key), str)}
    if "data_md5" in out and not _MD5.match(out["data_md5"]):
        del out["data_md5"]
    return out


def datasheet_md5_of(path: Path | str) -> str | None:
    """The md5 a rendered datasheet (md, html or json) says it describes; None if it states none."""
    return datasheet_identity(path).get("data_md5")
