"""What is inside one audio file (WAV, FLAC): duration, sample rate, channels and loudness.

Read with ``soundfile`` (libsndfile), in blocks, so a long recording costs no more memory than a
block. Definitions (docs/checks.md, ``audio_quality``):

- ``duration``: frames / sample rate, in seconds; ``sample_rate`` in Hz; ``channels``;
- ``loudness_dbfs``: the RMS over every sample of every channel, as libsndfile scales them to
  [-1, 1] (full scale = 1.0), in dB: 20 * log10(RMS). A full-scale square wave is 0 dBFS, a
  full-scale sine -3.01 dBFS (no AES17 +3 dB); null for digital silence (RMS 0 has no dB value).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

AUDIO_FORMATS = {"wav", "flac"}
AUDIO_COLUMNS = ["audio_duration", "audio_sample_rate", "audio_channels", "audio_loudness_dbfs"]
BLOCK_SAMPLES = 1 << 17  # samples per block over all channels: 1 MiB as float64, whatever the header claims


@dataclass(frozen=True)
class AudioFacts:
    duration: float  # seconds
    sample_rate: int
    channels: int
    loudness_dbfs: float | None  # None: silence

    def row(self) -> tuple:
        """The values of ``AUDIO_COLUMNS``, in order (what the cache stores)."""
        return (self.duration, self.sample_rate, self.channels, self.loudness_dbfs)


def audio_facts(path: Path) -> AudioFacts:
    """Decode every frame (a truncated or corrupt file raises ``RuntimeError``/``soundfile.LibsndfileError``)."""
    import soundfile

    squares, samples = 0.0, 0
    with soundfile.SoundFile(str(path)) as f:
        rate, channels = f.samplerate, f.channels
        if rate <= 0 or channels <= 0:
            raise ValueError(f"the header says {rate} Hz and {channels} channel(s)")
        # frames per block from the channels: a header claiming 1,024 channels must not cost 512 MiB a block
        for block in f.blocks(blocksize=max(1, BLOCK_SAMPLES // channels), dtype="float64", always_2d=True):
            flat = block.ravel()
            squares += float(np.square(flat).sum())  # numpy's pairwise sum: no BLAS threads
            samples += flat.size
    frames = samples // channels if channels else 0
    rms = math.sqrt(squares / samples) if samples else 0.0
    return AudioFacts(duration=frames / rate, sample_rate=rate, channels=channels,
                      loudness_dbfs=20 * math.log10(rms) if rms > 0 else None)
