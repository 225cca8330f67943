"""A sign of life on long work (rows read, files hashed): where a person is watching, and only there.

* On a terminal (stderr is a TTY): a ``rich`` progress line with the stage, the count, the rate and,
  when the total is known, the time left. It is drawn on stderr and erased when the stage ends.
* In an Airflow task (``AIRFLOW_CTX_DAG_ID`` set): a log line every ``LOG_EVERY`` seconds, at INFO.
* Anywhere else (a pipe, a file, cron) and with ``--quiet`` (``DATAVET_QUIET=1``): nothing.

Work shorter than ``LOG_EVERY`` seconds shows nothing in a log; the terminal line appears at once.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from types import TracebackType
from typing import Any

log = logging.getLogger(__name__)
LOG_EVERY = 5.0  # seconds between two progress lines in a task log
QUIET_ENV = "DATAVET_QUIET"


def mode() -> str:
    """"bar", "log" or "off"."""
    if os.environ.get(QUIET_ENV, "").strip().lower() in ("1", "true", "yes"):
        return "off"
    if os.environ.get("AIRFLOW_CTX_DAG_ID"):
        return "log"
    try:
        return "bar" if sys.stderr.isatty() else "off"
    except (AttributeError, ValueError):  # a closed or replaced stderr
        return "off"


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


class Progress:
    """``with Progress("hashing files", total=n, unit="files", dataset=name) as p: p.advance(1)``."""

    def __init__(self, stage: str, *, total: int | None = None, unit: str = "rows", dataset: str = "") -> None:
        self.stage = f"{dataset}: {stage}" if dataset else stage
        self.total = total
        self.unit = unit
        self.done = 0
        self.mode = mode()
        self._start = self._last = time.monotonic()
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> Progress:
        if self.mode == "bar":
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
            from rich.progress import Progress as Bar

            rate = TextColumn("{task.fields[rate]}")
            columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), rate,
                       TimeRemainingColumn()] if self.total else [TextColumn("{task.description}"),
                                                                  TextColumn("{task.completed:,} " + self.unit), rate]
            self._bar = Bar(*columns, console=Console(stderr=True), transient=True)
            self._bar.start()
            self._task = self._bar.add_task(self.stage, total=self.total, rate="")
        return self

    def advance(self, n: int = 1) -> None:
        self.done += n
        if self.mode == "off":
            return
        now = time.monotonic()
        if self.mode == "bar":
            self._bar.update(self._task, completed=self.done, rate=f"{self._rate(now):,.0f} {self.unit}/s")
        elif now - self._last >= LOG_EVERY:
            self._last = now
            log.info("%s", self.line(now))

    def _rate(self, now: float) -> float:
        elapsed = now - self._start
        return self.done / elapsed if elapsed > 0 else 0.0

    def line(self, now: float | None = None) -> str:
        """"adult: reading rows: 1,200,000 rows (400,000 rows/s), about 10 s left"."""
        now = time.monotonic() if now is None else now
        rate = self._rate(now)
        count = f"{self.done:,}" + (f" of {self.total:,}" if self.total else "")
        left = (f", about {_duration((self.total - self.done) / rate)} left"
                if self.total and rate > 0 and self.done < self.total else "")
        return f"{self.stage}: {count} {self.unit} ({rate:,.0f} {self.unit}/s){left}"

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.stop()
        if self.mode == "log" and kind is None and time.monotonic() - self._start >= LOG_EVERY:
            log.info("%s (done in %s)", self.line(), _duration(time.monotonic() - self._start))
