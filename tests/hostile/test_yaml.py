"""Hostile YAML in dataset.yaml and answers.yaml: bombs, depth, size and odd files are refused by
the real CLI quickly (< 5 s, < 200 MB), with exit 2, one message naming the file, and at most a
short excerpt of the bad input."""

from __future__ import annotations

import pytest
import yaml

from tests.hostile.conftest import assert_refused, run_cli, titanic_spec, unprivileged, write_project

MAX_SECONDS, MAX_MB = 5.0, 200.0


def bomb(levels: int, width: int = 10, key: str = "title") -> str:
    """A "billion laughs": ``levels`` anchors, each a list of ``width`` aliases of the one before,
    the last one reaching ``key`` (the issue's 700-byte, 7-level spec is ``bomb(7)``)."""
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]" for i in range(1, levels + 1)]
    return "x:\n  " + "\n  ".join(lines) + f"\n{key}: *a{levels}\n"


def spec_text(extra: str) -> str:
    base = titanic_spec("hostile")
    return yaml.safe_dump(base, sort_keys=False).replace("title: Titanic passengers\n", "") + extra


SPECS = {
    # name: (spec text, words of the message)
    "alias bomb, 7 levels": (spec_text(bomb(7)), ["aliases expand to more than"]),
    "alias bomb, 9 levels": (spec_text(bomb(9)), ["aliases expand to more than"]),
    "alias bomb in a mapping merge": (spec_text("title: t\n" + bomb(8, key="columns").replace(
        "columns: *a8", "columns: {<<: {k: *a8}}")), ["aliases expand to more than"]),
    "nesting 5,000 deep": (spec_text("title: " + "[" * 5000 + "]" * 5000 + "\n"), ["nesting deeper than"]),
    "nesting 5,000 deep, block style": (spec_text("title: t\nx:\n" + "".join(" " * i + "- \n" for i in range(1, 400))),
                                        ["nesting deeper than"]),
    "an alias to itself": (spec_text("title: &t [*t]\n"), ["refers to itself"]),
    "a 3 MB file": (spec_text("title: " + "x" * (3 << 20) + "\n"), ["larger than"]),
    "a 400 kB owner": (spec_text("title: t\nowner: [" + "x" * 400_000 + "]\n"), ["owner"]),
    "20,000 keys": (spec_text("title: t\n" + "".join(f"k{i}: 1\n" for i in range(20_000))), ["10,000 values"]),
    "python tags": (spec_text("title: !!python/object/apply:os.system ['touch pwned']\n"), ["not valid YAML"]),
}


@pytest.mark.parametrize("case", list(SPECS))
def test_hostile_spec_is_refused_quickly(case, tmp_path):
    text, words = SPECS[case]
    path = write_project(tmp_path, text)
    run = run_cli(tmp_path, "check", str(path.relative_to(tmp_path)))
    assert_refused(run, "dataset.yaml", *words)
    assert run.seconds < MAX_SECONDS and run.max_rss_mb < MAX_MB, (run.seconds, run.max_rss_mb)
    assert len(run.err) < 1500, run.err[-2000:]
    assert not (tmp_path / "pwned").exists()
    assert not (tmp_path / ".datavet" / "registry").exists()  # nothing written


@pytest.mark.parametrize("case", ["alias bomb, 7 levels", "nesting 5,000 deep", "a 3 MB file"])
def test_hostile_answers_are_refused_quickly(case, tmp_path):
    text, words = SPECS[case]
    answers = text.replace("name: hostile\n", "dataset: hostile\n")
    path = write_project(tmp_path, titanic_spec("hostile"), answers=answers)
    before = (path.parent / "answers.yaml").read_bytes()
    run = run_cli(tmp_path, "datasheet", "init", str(path.relative_to(tmp_path)), "--refresh")
    assert_refused(run, "answers.yaml", *words)
    assert run.seconds < MAX_SECONDS and run.max_rss_mb < MAX_MB, (run.seconds, run.max_rss_mb)
    assert (path.parent / "answers.yaml").read_bytes() == before  # nothing half-written


def test_unreadable_spec_names_the_file(tmp_path):
    """As an account without the right to read the file (root's DAC override dropped)."""
    path = write_project(tmp_path, titanic_spec("hostile"))
    path.chmod(0)
    try:
        run = run_cli(tmp_path, "check", str(path.relative_to(tmp_path)), prefix=unprivileged())
    finally:
        path.chmod(0o644)
    assert_refused(run, "dataset.yaml", "cannot read it", "readable")


@pytest.mark.parametrize("command", [["certify"], ["datasheet"], ["datasheet", "init"], ["history"], ["show"],
                                     ["verify"], ["export", "hf"]])
def test_every_command_refuses_a_bomb_quickly(command, tmp_path):
    text, words = SPECS["alias bomb, 9 levels"]
    path = write_project(tmp_path, text)
    extra = [str(tmp_path / "out")] if command == ["export", "hf"] else []
    run = run_cli(tmp_path, *command, str(path.relative_to(tmp_path)), *extra)
    assert_refused(run, "dataset.yaml", *words)
    assert run.seconds < MAX_SECONDS and run.max_rss_mb < MAX_MB, (run.seconds, run.max_rss_mb)
    assert not (tmp_path / ".datavet").exists() and not (tmp_path / "out").exists()
