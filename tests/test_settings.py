"""One settings object: every knob from DATAVET_* read when a command starts, never at import."""

from __future__ import annotations

from pathlib import Path

import pytest

from datavet.registry import Registry
from datavet.settings import Settings


def test_knobs_come_from_the_environment_when_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATAVET_PROJECT", str(tmp_path))
    monkeypatch.setenv("DATAVET_LOCK_TIMEOUT", "7")
    monkeypatch.setenv("DATAVET_DUCKDB_MEMORY_LIMIT", "300MB")
    monkeypatch.setenv("DATAVET_ENGINE", "pandas")
    settings = Settings.from_env()
    assert settings.registry == (tmp_path / ".datavet" / "registry").resolve()
    assert settings.remote == str((tmp_path / ".datavet" / "remote").resolve())
    assert (settings.duckdb_memory_limit, settings.engine) == ("300MB", "pandas")
    assert Registry.of(settings).lock_timeout == 7.0
    monkeypatch.setenv("DATAVET_LOCK_TIMEOUT", "9")  # read again, not cached at import
    assert Registry.of(Settings.from_env()).lock_timeout == 9.0


def test_a_bad_knob_is_refused_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATAVET_ENGINE", "oracle")
    with pytest.raises(ValueError, match="engine"):
        Settings.from_env()
