"""Text from a spec or answers file never changes the structure of a file datavet writes: a newline
in ``title`` adds no key to the generated answers.yaml and no heading to the card, and a
``javascript:`` link in an answer is no live link in the Markdown card nor in the Hugging Face
README (read back with a CommonMark parser, as the Hub renders cards)."""

from __future__ import annotations

import datetime as dt
import re

import yaml
from markdown_it import MarkdownIt

from datavet.datasheet.questions import PROMPT_IDS
from tests.hostile.conftest import FaultProject, run_cli, titanic_spec, write_project

TITLES = ["Titanic\nattested_by: mallory@example.org\nanswers: {}",
          "Titanic\u2028attested_on: 1999-01-01",
          "Titanic\r\n# Injected heading",
          "Titanic\x85dataset: other"]
EVIL = ["[click](javascript:alert(document.cookie))", "[x]( JAVASCRIPT:alert(1))", "![img](data:text/html,<b>x</b>)",
        "[ref]\n\n[ref]: javascript:alert(1)", "[vb](vbscript:msgbox(1))"]
SAFE = "[the paper](https://arxiv.org/abs/1803.09010)"


def test_a_title_adds_no_keys_to_the_generated_answers(tmp_path):
    for i, title in enumerate(TITLES):
        root = tmp_path / str(i)
        spec = titanic_spec("titanic", title=title, owner="x@example.org\nattested_by: mallory")
        path = write_project(root, spec)
        run = run_cli(root, "datasheet", "init", str(path.relative_to(root)))
        assert run.code == 0, run.text[-2000:]
        data = yaml.safe_load((path.parent / "answers.yaml").read_text(encoding="utf-8"))
        assert set(data) == {"dataset", "attested_by", "attested_on", "answers"}, (title, set(data))
        assert data["dataset"] == "titanic" and data["attested_by"] is None and data["attested_on"] is None
        assert set(data["answers"]) <= set(PROMPT_IDS)
        assert data["answers"]["X1"]["answer"] == "x@example.org\nattested_by: mallory"  # kept, as text


def test_refreshed_answers_read_back_as_written(tmp_path):
    """``init --refresh`` writes the answers a person gave again: each reads back exactly, whatever
    its line breaks, leading spaces or characters YAML cannot hold raw."""
    texts = ["  indented first line\nkey: value", "ends with a newline\n", "emoji 😀 and \x7f and \x85 NEL",
             "LS\u2028PS\u2029end", "plain two\nlines", "trailing space \nnext"]
    answers = {"dataset": "titanic", "attested_by": "Eve 😀\nmallory", "attested_on": "2026-01-15",
               "answers": {pid: {"answer": texts[i % len(texts)], "reviewed": True}
                           for i, pid in enumerate(PROMPT_IDS[:12])}}
    path = write_project(tmp_path, titanic_spec("titanic"), answers=yaml.safe_dump(answers, allow_unicode=True))
    run = run_cli(tmp_path, "datasheet", "init", str(path.relative_to(tmp_path)), "--refresh")
    assert run.code == 0, run.text[-2000:]
    data = yaml.safe_load((path.parent / "answers.yaml").read_text(encoding="utf-8"))
    assert data["attested_by"] == answers["attested_by"]
    for pid, item in answers["answers"].items():
        assert data["answers"][pid]["answer"] == item["answer"], pid


def _links(markdown: str) -> list[str]:
    """Every link and image target a CommonMark renderer makes of ``markdown``."""
    found = []
    for token in MarkdownIt("commonmark").parse(markdown):
        for child in token.children or []:
            if child.type in ("link_open", "image"):
                found.append(str(child.attrGet("href") or child.attrGet("src")))
    return found


def _headings(markdown: str) -> list[str]:
    tokens = MarkdownIt("commonmark").parse(markdown)
    return [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]


def test_card_and_hf_readme_hold_no_live_script_link(project: FaultProject, tmp_path):
    """Certify a version whose answers carry script links and whose title carries a heading, then
    export it for Hugging Face: neither the card nor the README has a javascript:/data:/vbscript:
    link or the injected heading; the safe link stays a link and the words stay."""
    spec = yaml.safe_load(project.spec_path.read_text(encoding="utf-8"))
    spec["title"] = TITLES[2]
    project.spec_path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    answers_path = project.spec_path.parent / "answers.yaml"
    answers = yaml.safe_load(answers_path.read_text(encoding="utf-8"))
    prompts = [p for p in answers["answers"] if p not in ("C2", "C6", "C9")][:len(EVIL) + 1]
    for pid, text in zip(prompts, [*EVIL, SAFE], strict=True):
        answers["answers"][pid] = {"answer": text, "attested_on": dt.date.today().isoformat()}  # re-attested
    answers_path.write_text(yaml.safe_dump(answers, sort_keys=False, allow_unicode=True), encoding="utf-8")
    run = run_cli(project.root, "certify", "datasheets/titanic/dataset.yaml")
    assert run.code == 0, run.text[-3000:]
    out = tmp_path / "hf"
    run = run_cli(project.root, "export", "hf", "datasheets/titanic/dataset.yaml", str(out))
    assert run.code == 0, run.text[-3000:]
    card = project.registry.root / "datasheets" / "titanic" / "datasheet.md"
    for markdown in (card.read_text(encoding="utf-8"), (out / "README.md").read_text(encoding="utf-8")):
        links = _links(markdown)
        assert "https://arxiv.org/abs/1803.09010" in links
        bad = [link for link in links if re.match(r"\s*(javascript|data|vbscript):", link, re.IGNORECASE)]
        assert bad == [], bad
        assert "Injected heading" not in _headings(markdown)
        assert "alert(document.cookie)" in markdown  # the words are kept, as text
