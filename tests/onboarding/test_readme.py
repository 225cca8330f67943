"""The README tells a new user how to add a dataset and run its DAG, and how to get the tools on PATH:
the section exists, and every `datavet` and `airflow` command it shows is one the installed tools accept."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from datavet.cli import build_parser
from tests.conftest import REPO

AIRFLOW = str(Path(sys.executable).parent / "airflow")


def _section() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    start = text.index("## Adding a dataset and running its DAG")
    return text[start:text.index("\n## ", start + 3)]


def _commands(tool: str) -> list[list[str]]:
    blocks = re.findall(r"```bash\n(.*?)```", _section(), flags=re.S)
    lines = [line.split("#", 1)[0].strip() for block in blocks for line in block.splitlines()]
    return [shlex.split(line)[1:] for line in lines if line.startswith(f"{tool} ")]


def test_the_section_covers_path_migrate_dags_test_and_a_scheduler() -> None:
    section = _section()
    for needed in ("source scripts/env.sh", ".venv/bin", "airflow db migrate", "airflow dags test datavet_certify_",
                   "airflow standalone", "airflow scheduler", "airflow dag-processor", "DATAVET_HOME"):
        assert needed in section, needed


@pytest.mark.parametrize("args", _commands("datavet"), ids=" ".join)
def test_datavet_commands_parse(args: list[str]) -> None:
    build_parser().parse_args(args)  # an unknown command or option exits 2


def test_airflow_commands_exist(tmp_path) -> None:
    commands = _commands("airflow")
    assert {tuple(c[:2]) for c in commands} >= {("db", "migrate"), ("dags", "test"), ("dags", "trigger")}
    env = {"AIRFLOW_HOME": str(tmp_path), "PATH": str(Path(sys.executable).parent)}

    helps: dict[tuple[str, ...], str] = {}

    def listed(args: list[str], word: str) -> bool:
        if tuple(args) not in helps:  # one `airflow [group] --help` each: the CLI takes seconds to start
            proc = subprocess.run([AIRFLOW, *args, "--help"], env=env, capture_output=True, text=True, timeout=300)
            assert proc.returncode == 0, proc.stderr[-2000:]
            helps[tuple(args)] = proc.stdout
        return re.search(rf"^\s+{re.escape(word)}\b", helps[tuple(args)], flags=re.M) is not None

    for word in sorted({c[0] for c in commands}):
        assert listed([], word), word
    for group, word in sorted({(c[0], c[1]) for c in commands if len(c) > 1}):
        assert listed([group], word), (group, word)
