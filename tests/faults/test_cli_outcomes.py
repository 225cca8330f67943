"""What `datavet certify`, `verify` and `history` print about a version's checks: the warnings a
certified version carries are printed by `certify` as `check` prints them, and "check" means one
thing in every command (one entry of the check report), never an integrity comparison."""

from __future__ import annotations

import json
import re

from datavet.report import CheckReport
from tests.faults.conftest import FaultProject, new_project


def _warnings_block(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.startswith("[warning] ")]


def test_certify_prints_the_warnings_a_version_carries(tmp_path) -> None:
    project = new_project(tmp_path / "p")
    check = project.cli("check", str(project.spec_path), "--json", "report.json")
    assert check.returncode == 0, check.stdout + check.stderr
    report = CheckReport.model_validate_json((project.root / "report.json").read_text())
    warned = report.failed(severity="warning")
    assert warned, "the Titanic spec's label_balance warning is expected to fire on this data"
    expected = _warnings_block(check.stdout)
    assert len(expected) == len(warned)

    first = project.cli("certify", str(project.spec_path))
    assert first.returncode == 0, first.stdout + first.stderr
    assert _warnings_block(first.stdout) == expected
    passed = len(report.checks) - len(warned)
    assert f"{passed}/{len(report.checks)} checks passed, {len(warned)} warning(s)" in first.stdout

    again = project.cli("certify", str(project.spec_path))  # already certified: still says what it carries
    assert again.returncode == 0 and "already certified" in again.stdout, again.stdout + again.stderr
    assert _warnings_block(again.stdout) == expected


def test_verify_and_history_count_the_same_checks(certified_base: FaultProject) -> None:
    history = certified_base.cli("history", str(certified_base.spec_path), "--json")
    assert history.returncode == 0, history.stderr
    row = json.loads(history.stdout)[0]
    verify = certified_base.cli("verify", str(certified_base.spec_path))
    assert verify.returncode == 0, verify.stdout + verify.stderr
    head = verify.stdout.splitlines()[0]
    assert f"{row['passed']}/{row['checks']} checks passed" in head, head
    counted = [int(n) for n in re.findall(r"(\d+) checks", head)]
    assert counted == [row["checks"]], head  # no other number is called "checks"
    text = certified_base.cli("history", str(certified_base.spec_path))
    assert f"{row['passed']}/{row['checks']} checks passed" in text.stdout
