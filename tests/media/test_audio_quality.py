"""Audio facts and the ``audio_quality`` check on recordings made here (numpy + soundfile): tones and
noise of known amplitude, length, rate and channels per group. Duration, rate, channels and RMS
loudness equal what the test wrote (and a reading of the samples by the standard library's ``wave``);
per-group means, spreads and SMDs equal pandas; a small group is withheld when published; audio that
does not decode is an unreadable file."""

from __future__ import annotations

import math
import wave
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile

from datavet.pipeline import validate, version
from datavet.sources.file_facts import compute_facts
from tests.files.conftest import FilesProject

# group -> (format, sample rate, channels, kind, amplitudes, seconds): 12 files each (4 in "c": small)
GROUPS = {"a": ("wav", 16000, 1, "sine", (0.5, 0.25, 0.1), (0.5, 1.0, 1.5, 2.0)),
          "b": ("flac", 22050, 2, "noise", (0.05, 0.2, 0.4), (0.25, 0.75, 1.25, 1.75)),
          "c": ("wav", 8000, 1, "square", (0.3,), (0.5, 1.0, 1.5, 2.0))}


def signal(kind: str, amplitude: float, frames: int, rate: int, channels: int, seed: int) -> np.ndarray:
    t = np.arange(frames) / rate
    if kind == "sine":
        x = amplitude * np.sin(2 * np.pi * 440 * t)
    elif kind == "square":
        x = amplitude * np.where(np.sin(2 * np.pi * 200 * t) >= 0, 1.0, -1.0)
    else:
        x = np.random.default_rng(seed).uniform(-amplitude, amplitude, frames)
    return np.repeat(x[:, None], channels, axis=1)


def independent(path: Path) -> dict:
    """Facts from the written samples as stored: WAV through the standard library's ``wave`` (int16
    / 32768, libsndfile's scaling); FLAC by soundfile at int16, scaled the same way."""
    if path.suffix == ".wav":
        with wave.open(str(path)) as w:
            rate, channels, frames = w.getframerate(), w.getnchannels(), w.getnframes()
            x = np.frombuffer(w.readframes(frames), dtype="<i2").astype(np.float64) / 32768
    else:
        data, rate = soundfile.read(str(path), dtype="int16", always_2d=True)
        channels, frames, x = data.shape[1], data.shape[0], data.ravel().astype(np.float64) / 32768
    rms = math.sqrt(float(np.mean(x * x)))
    return {"duration": frames / rate, "sample_rate": rate, "channels": channels,
            "loudness_dbfs": 20 * math.log10(rms) if rms > 0 else None}


@pytest.fixture(scope="module")
def recordings(tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    root = tmp_path_factory.mktemp("audio")
    (root / "clips").mkdir()
    rows = []
    for group, (fmt, rate, channels, kind, amplitudes, seconds) in GROUPS.items():
        for i, (amp, sec) in enumerate((a, s) for a in amplitudes for s in seconds):
            rel = f"clips/{group}_{i:02d}.{fmt}"
            frames = int(rate * sec)
            soundfile.write(root / rel, signal(kind, amp, frames, rate, channels, i), rate, subtype="PCM_16")
            rows.append({"file": rel, "group": group, **independent(root / rel)})
            assert rows[-1]["duration"] == frames / rate and rows[-1]["channels"] == channels
    soundfile.write(root / "clips" / "silence.wav", np.zeros(800), 8000, subtype="PCM_16")
    rows.append({"file": "clips/silence.wav", "group": "a", "duration": 0.1, "sample_rate": 8000, "channels": 1,
                 "loudness_dbfs": None})
    (root / "clips" / "broken.wav").write_bytes((root / "clips" / "a_00.wav").read_bytes()[:30])  # cut header
    expected = pd.DataFrame(rows)
    pd.concat([expected[["file", "group"]], pd.DataFrame([{"file": "clips/broken.wav", "group": "b"}])]
              ).to_csv(root / "labels.csv", index=False)
    return root, expected


def test_facts_per_file_equal_what_was_written(recordings) -> None:
    root, expected = recordings
    for row in expected.itertuples():
        got = compute_facts(root / row.file, Path(row.file).suffix, inside=False, audio=True)
        assert got.readable and got.audio is not None, row.file
        assert got.audio.duration == row.duration and got.audio.sample_rate == row.sample_rate
        assert got.audio.channels == row.channels
        if row.loudness_dbfs is None or pd.isna(row.loudness_dbfs):
            assert got.audio.loudness_dbfs is None
        else:
            assert abs(got.audio.loudness_dbfs - row.loudness_dbfs) <= 1e-9, row.file
    square = expected[expected["group"] == "c"].iloc[0]  # a square wave of amplitude 0.3: 20 log10(0.3)
    assert abs(square.loudness_dbfs - 20 * math.log10(round(0.3 * 32768) / 32768)) < 1e-3
    broken = compute_facts(root / "clips" / "broken.wav", ".wav", inside=False, audio=True)
    assert not broken.readable and "does not decode as wav" in broken.problem and str(root) not in broken.problem
    assert compute_facts(root / "clips" / "broken.wav", ".wav", inside=False).readable  # signature only


def voices(root: Path, at: Path, checks: dict) -> FilesProject:
    project = FilesProject(at, "voices")
    project.write_spec({
        "name": "voices", "title": "Test tones", "owner": "qa@example.org", "license": "CC0-1.0",
        "source": {"files": {"root": str(root), "include": ["clips/*.wav", "clips/*.flac"]},
                   "manifest": {"path": str(root / "labels.csv"), "file_column": "file"}},
        "columns": {"group": {"role": "protected"}}, "checks": checks,
        "small_cell_threshold": 1})  # exact figures in the report; publishing at 10 is checked below
    return project


def test_audio_is_decoded_once_per_content_and_only_when_a_check_reads_it(recordings, tmp_path: Path) -> None:
    from datavet.sources import source_for

    root, expected = recordings
    plain = voices(root, tmp_path / "p", {})
    without = source_for(plain.loaded(), plain.settings)
    table = pd.read_parquet(without.materialise(tmp_path / "s0").table)
    assert "audio_duration" not in table and table["file"].size == len(expected) + 1  # and broken.wav
    project = voices(root, tmp_path / "p", {"audio_quality": [{"by": "group"}]})
    first = source_for(project.loaded(), project.settings)
    before = pd.read_parquet(first.materialise(tmp_path / "s1").table).set_index("file")
    assert first.counts.decoded == len(expected) + 1  # known by signature only: decoded now
    assert before["audio_duration"].notna().sum() == len(expected)
    second = source_for(project.loaded(), project.settings)
    after = pd.read_parquet(second.materialise(tmp_path / "s2").table).set_index("file")
    assert second.counts.decoded == 0
    pd.testing.assert_frame_equal(after, before)


def test_group_figures_equal_pandas_and_small_groups_are_withheld(recordings, tmp_path: Path) -> None:
    from datavet.privacy import publish_result

    root, expected = recordings
    project = voices(root, tmp_path / "p", {"audio_quality": [{"by": "group", "max_smd": 1.0, "severity": "warning"}]})
    loaded = project.loaded()
    report = validate(loaded, project.settings, version(loaded, project.settings).md5)
    result = next(c for c in report.checks if c.check == "audio_quality")
    o = result.observed
    assert o["files"] == len(expected) and o["silent_files"] == 1
    by = expected.groupby("group")
    assert o["rows"] == by.size().to_dict() == {"a": 13, "b": 12, "c": 4}
    for group, frame in by:
        for fact in ("duration", "sample_rate", "channels", "loudness_dbfs"):
            values = frame[fact].dropna().astype(float)
            assert abs(o["means"][group][fact] - values.mean()) <= 1e-9 * max(1, abs(values.mean())), (group, fact)
            assert abs(o["spreads"][group][fact] - values.std(ddof=0)) <= 1e-9 * max(1, values.std(ddof=0))
    loud = {g: (f["loudness_dbfs"].dropna().mean(), f["loudness_dbfs"].dropna().std(ddof=0)) for g, f in by}
    want = max((abs(loud[a][0] - loud[b][0]) / math.sqrt((loud[a][1] ** 2 + loud[b][1] ** 2) / 2), [a, b])
               for a, b in combinations(sorted(loud), 2))
    assert abs(o["smd"]["loudness_dbfs"] - want[0]) <= 1e-9 and o["smd_groups"]["loudness_dbfs"] == want[1]
    assert not result.success and any("max_smd" in f for f in result.failures)  # sample rates differ wholly
    published = publish_result(result.model_copy(deep=True), 10).observed
    assert published["rows"]["c"] == "<10" and published["means"]["c"] is None and published["spreads"]["c"] is None
    assert published["means"]["a"] == o["means"]["a"] and published["largest_smd"] is None
    assert published["files"] is None and published["silent_files"] == "<10"  # files - a - b would give c back
