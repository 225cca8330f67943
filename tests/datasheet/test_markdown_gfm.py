"""The Markdown card as GitHub and the Hugging Face Hub render it (markdown-it-py with GFM tables): every
table row comes from a line written as a table row, so no paragraph is swallowed into a table."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from datavet.changes import compute_changes
from datavet.datasheet import build_datasheet, render_markdown


def swallowed_lines(markdown: str) -> list[str]:
    """Source lines that a GFM renderer puts into a table although they are not written as a row."""
    lines = markdown.splitlines()
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    return [lines[t.map[0]] for t in tokens if t.type == "tr_open" and not lines[t.map[0]].lstrip().startswith("|")]


def card_body(markdown: str) -> str:
    """The card without its YAML front matter (the Hub strips it before rendering)."""
    return markdown.split("\n---\n", 1)[1] if markdown.startswith("---\n") else markdown


@pytest.mark.parametrize("with_answers", [False, True])
def test_no_paragraph_is_swallowed_into_a_table(adult, titanic, with_answers):
    for v in (adult, titanic):
        sheet = build_datasheet(v.loaded, v.report, v.parquet, data_md5=v.md5)
        changes = compute_changes(new_report=v.report, old_report=v.report, previous_tag=f"{v.loaded.spec.name}/v1",
                                  rows_added_removed=(0, 0), new_answers={"A1": ("new", None)} if with_answers else {},
                                  old_answers={}, small_cell_threshold=10)
        markdown = card_body(render_markdown(sheet.model_copy(update={"changes": changes})))
        assert swallowed_lines(markdown) == []
        paragraphs = [t.content for t in MarkdownIt("commonmark").enable("table").parse(markdown) if t.type == "inline"]
        answers = [p for p in paragraphs if p.startswith("**Answers changed:**")]
        assert answers == ["**Answers changed:** A1." if with_answers else "**Answers changed:** none."]
        for label in ("**Instances (C2):**",):
            assert any(p.startswith(label) for p in paragraphs), label


def test_card_shows_duplicates_with_and_without_identifying_columns(titanic, adult):
    """Titanic's ids make every row distinct; without PassengerId, Name and Ticket rows repeat (pandas)."""
    from datavet.datasheet import render_html

    sheet = build_datasheet(titanic.loaded, titanic.report, titanic.parquet, data_md5=titanic.md5)
    ids = titanic.loaded.spec.columns_with_role("identifying")
    exact, without = int(titanic.df.duplicated().sum()), int(titanic.df.drop(columns=ids).duplicated().sum())
    assert (sheet.computed.duplicate_rows.value, sheet.computed.duplicate_rows_without_identifying.value) == (
        exact, without) and without > 10
    assert f"**Duplicate rows (C9):** {exact}; {without} without the identifying columns." in render_markdown(sheet)
    assert f"without identifying columns <b>{without}</b>" in render_html(sheet)
    plain = build_datasheet(adult.loaded, adult.report, adult.parquet, data_md5=adult.md5)
    assert plain.computed.duplicate_rows_without_identifying is None  # Adult names no identifying column
    assert "without the identifying columns" not in render_markdown(plain)


def test_every_table_starts_after_a_blank_line(adult, titanic):
    """A table glued to the paragraph before it renders differently on GitHub and on the Hub."""
    for v in (adult, titanic):
        markdown = card_body(render_markdown(build_datasheet(v.loaded, v.report, v.parquet, data_md5=v.md5)))
        lines = markdown.splitlines()
        starts = [i for i, line in enumerate(lines) if line.startswith("|") and not lines[i - 1].startswith("|")]
        glued = [lines[i - 1] for i in starts if lines[i - 1] != ""]
        assert starts and not glued, glued
