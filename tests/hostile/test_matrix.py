"""The matrix of issue 21: every hostile case it names, with the test that keeps it refused (the
tests live in this package, one file per area), and more cases of the same kinds run here through
the real CLI: each a clean refusal (exit code, one message naming what and where, no traceback),
bounded in time, with nothing written."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.hostile.conftest import DATAVET, assert_refused, run_cli, titanic_spec, write_project

# issue case -> "module::test" that covers it (checked below: a case never loses its test silently)
ISSUE_CASES = {
    "SQL query closing datavet's subquery drops a table":
        "test_sql::test_a_query_that_is_not_one_read_only_select_is_refused",
    "every datavet connection is read-only": "test_sql::test_every_connection_is_read_only_even_past_the_parser",
    "GX's own connection is read-only": "test_sql::test_gx_connection_is_read_only_too",
    "password not percent-encoded printed in part":
        "test_sql::test_a_password_that_is_not_percent_encoded_is_never_printed",
    "YAML alias bomb / depth / size in dataset.yaml": "test_yaml::test_hostile_spec_is_refused_quickly",
    "YAML alias bomb / depth / size in answers.yaml": "test_yaml::test_hostile_answers_are_refused_quickly",
    "one bad spec hides every DAG": "test_dagbag::test_bad_specs_do_not_hide_the_good_one",
    "DATAVET_ENGINE=oracle, DATAVET_LOCK_TIMEOUT=abc": "test_faults::test_a_bad_setting_is_one_line",
    "Ctrl-C during certify": "test_faults::test_ctrl_c_during_certify",
    "read-only DATAVET_HOME": "test_faults::test_read_only_home",
    "full disk (tmpfs): no .tmp files, no error in the handler": "test_faults::test_full_disk_under_datavet_home",
    "unreadable file in a tree (and certify's fix text)":
        "test_sources::test_an_unreadable_file_in_a_tree_is_refused_by_name",
    "file name that is not UTF-8": "test_sources::test_a_file_name_that_is_not_utf8_is_refused_by_name",
    "DuckDB out of memory on a 10,000-column CSV": "test_sources::test_ten_thousand_columns_out_of_memory_is_one_line",
    "newline in title writes keys into answers.yaml":
        "test_injection::test_a_title_adds_no_keys_to_the_generated_answers",
    "javascript: link live in the card and the HF README":
        "test_injection::test_card_and_hf_readme_hold_no_live_script_link",
    "Parquet with a repeated column name certified as sex_1":
        "test_sources::test_parquet_with_a_repeated_column_is_refused",
    "a 50 MB CSV cell refused": "test_sources::test_a_50_mb_cell_is_read",
    "a quoted newline in a CSV header refused": "test_sources::test_a_quoted_newline_in_the_header_is_read",
    "auditor API: adult%00 answers 500, %2A is a git pattern": "test_ui_api::test_a_bad_dataset_name_is_a_404",
    "auditor API: absolute server paths": "test_ui_api::test_no_absolute_server_path_is_shown",
    "a kill during versioning leaves a partial Parquet forever":
        "test_faults::test_a_kill_during_versioning_leaves_nothing_for_long",
}


def test_every_issue_case_has_its_test() -> None:
    missing = []
    for case, target in ISSUE_CASES.items():
        module, name = target.split("::")
        if not callable(getattr(importlib.import_module(f"tests.hostile.{module}"), name, None)):
            missing.append(case)
    assert missing == []


def _spec(tmp_path: Path, **changes) -> Path:
    spec = titanic_spec("m")
    spec.update(changes)
    return write_project(tmp_path, spec)


def _fifo(tmp_path: Path) -> str:
    os.mkfifo(tmp_path / "fifo.csv")
    return str(tmp_path / "fifo.csv")


def _loop(tmp_path: Path) -> str:
    os.symlink(tmp_path / "loop.csv", tmp_path / "loop.csv")
    return str(tmp_path / "loop.csv")


SOURCES = {  # source.path -> words of the refusal
    "/dev/zero": "not a regular file", "fifo": "not a regular file", "loop": "loop of symbolic links",
    "/proc/self/environ": "empty", "/etc": "directory",
}


@pytest.mark.parametrize("source", list(SOURCES))
def test_a_source_that_is_not_a_data_file(tmp_path, source) -> None:
    path = {"fifo": _fifo, "loop": _loop}.get(source, lambda _: source)(tmp_path)
    spec = _spec(tmp_path, source={"path": path, "format": "csv"})
    run = run_cli(tmp_path, "check", str(spec.relative_to(tmp_path)), timeout=60)
    assert_refused(run, SOURCES[source], "source.path")
    assert run.seconds < 30


def test_a_spec_that_is_a_folder(tmp_path) -> None:
    (tmp_path / "datasheets" / "m" / "dataset.yaml").mkdir(parents=True)
    assert_refused(run_cli(tmp_path, "check", "datasheets/m/dataset.yaml"), "dataset.yaml", "no such file")


@pytest.mark.parametrize(("length", "words"), [(1000, "Extra inputs"), (400_000, "not valid YAML")])
def test_a_long_key_is_quoted_short(tmp_path, length, words) -> None:
    text = yaml.safe_dump(titanic_spec("m"), sort_keys=False) + "k" * length + ": 1\n"
    path = write_project(tmp_path, text.replace("name: m", "name: hostile"))
    run = run_cli(tmp_path, "check", str(path.relative_to(tmp_path)))
    assert_refused(run, "dataset.yaml", words)
    assert len(run.err) < 1000


def test_datavet_home_that_is_a_file(tmp_path) -> None:
    spec = _spec(tmp_path)
    (tmp_path / "home").write_text("not a folder")
    run = run_cli(tmp_path, "certify", str(spec.relative_to(tmp_path)), env={"DATAVET_HOME": str(tmp_path / "home")})
    assert_refused(run, "home", "DATAVET_HOME")
    assert (tmp_path / "home").read_text() == "not a folder"


def test_unreadable_answers(tmp_path) -> None:
    from tests.hostile.conftest import unprivileged

    spec = write_project(tmp_path, titanic_spec("m"), answers={"dataset": "m", "answers": {}})
    answers = spec.parent / "answers.yaml"
    answers.chmod(0)
    try:
        run = run_cli(tmp_path, "datasheet", "init", str(spec.relative_to(tmp_path)), "--refresh",
                      prefix=unprivileged())
    finally:
        answers.chmod(0o644)
    assert_refused(run, "answers.yaml", "cannot read it")


@pytest.mark.parametrize(("name", "body", "words"), [
    ("deep.json", "[" * 100_000 + "]" * 100_000, "nests too deeply"),
    ("star.json", json.dumps({"dataset": "*", "md5": "0" * 32}), "not a dataset name"),
    ("long.json", json.dumps({"dataset": "x" * 100_000, "md5": "0" * 32}), "not a dataset name"),
    ("front.md", "---\ndatavet: &a [*a]\n---\n", "states no md5"),
    ("binary.json", "\udcff" * 10, "states no md5"),
])
def test_verify_a_hostile_document(tmp_path, name, body, words) -> None:
    (tmp_path / name).write_bytes(body.encode("utf-8", "surrogateescape"))
    run = run_cli(tmp_path, "verify", name)
    assert_refused(run, words)
    assert len(run.err) < 1000 and run.seconds < 30


def test_a_spec_path_that_is_not_utf8(tmp_path) -> None:
    folder = os.path.join(os.fsencode(tmp_path), b"datasheets", b"caf\xe9")
    os.makedirs(folder)
    with open(os.path.join(folder, b"dataset.yaml"), "w") as fh:
        fh.write(yaml.safe_dump(titanic_spec("m")))
    proc = subprocess.run([DATAVET, "check", os.path.join(folder, b"dataset.yaml")], capture_output=True,
                          cwd=tmp_path, env={**os.environ, "DATAVET_PROJECT": str(tmp_path)}, timeout=120)
    err = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 2 and "Traceback" not in err and "differs from its folder" in err, err


def test_a_closed_pipe_is_no_traceback(tmp_path) -> None:
    """`datavet schema | head -1`: the reader goes away; datavet stops quietly."""
    proc = subprocess.run(f"'{DATAVET}' schema --out '{tmp_path}' | head -c 0", shell=True, capture_output=True,
                          text=True, timeout=120)
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr, proc.stderr
