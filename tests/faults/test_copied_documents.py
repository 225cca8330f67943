"""A datasheet copied out of the registry (an auditor's copy, renamed) verifies on its own in each of
its three forms: the document itself says which dataset and which bytes it describes."""

from __future__ import annotations

import shutil

import pytest

from tests.faults.conftest import FaultProject


@pytest.mark.parametrize("kind", ["md", "html", "json"])
def test_a_copied_datasheet_verifies_on_its_own(certified_base: FaultProject, tmp_path, kind: str) -> None:
    original = certified_base.registry.datasheet_dir(certified_base.name) / f"datasheet.{kind}"
    copy = tmp_path / "auditor" / f"copy.{kind}"
    copy.parent.mkdir()
    shutil.copyfile(original, copy)
    proc = certified_base.cli("verify", str(copy))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("OK: titanic titanic/certified/1"), proc.stdout


@pytest.mark.parametrize("kind", ["md", "html"])
def test_a_changed_copy_is_refused(certified_base: FaultProject, tmp_path, kind: str) -> None:
    original = certified_base.registry.datasheet_dir(certified_base.name) / f"datasheet.{kind}"
    copy = tmp_path / f"copy.{kind}"
    copy.write_text(original.read_text(encoding="utf-8").replace("Titanic", "Titan1c"), encoding="utf-8")
    proc = certified_base.cli("verify", str(copy))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"{copy} is not byte-identical" in proc.stdout
