"""Great Expectations imported ahead, on a second thread, while the version stage streams the source.

GX's import is about 4 s of pure Python; the version stage spends its time in DuckDB, zstd and file
I/O, which leave the GIL free. ``datavet certify`` starts the import (``start``) and ``datavet.gx``
waits for it (``wait``) before importing GX itself, so no GX module is imported by two threads at
once. The third-party libraries both threads use are imported before the thread starts, for the
same reason. Only ``datavet certify`` imports ahead: the Airflow tasks and ``datavet check`` import
GX when they need it.
"""

from __future__ import annotations

import importlib
import logging
import threading

SHARED_LIBRARIES = ("numpy", "pandas", "pyarrow", "pyarrow.parquet", "duckdb", "sqlalchemy")
_thread: threading.Thread | None = None


def quiet_gx() -> None:
    """GX's INFO lines (about 160 "Skipping registering function ..." while it imports, then contexts
    and data sources loaded, batch slices parsed) say nothing the reader of a datavet run acts on, and
    came before datavet's own lines in every validate task log: GX speaks from WARNING up, whatever
    level the Airflow task logger runs at. Called before GX is first imported."""
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    from datavet.quiet import quiet

    quiet()  # and GX's advice on datasources datavet chooses


def start() -> None:
    """Begin importing GX on a daemon thread (a process that ends first does not wait for it)."""
    global _thread
    if _thread is not None:
        return
    for name in SHARED_LIBRARIES:
        importlib.import_module(name)
    quiet_gx()

    def load() -> None:
        try:
            importlib.import_module("great_expectations")
        except Exception:  # datavet.gx imports it again and reports what is wrong
            logging.getLogger(__name__).debug("importing great_expectations ahead failed", exc_info=True)

    _thread = threading.Thread(target=load, name="datavet-import-gx", daemon=True)
    _thread.start()


def loading() -> bool:
    """Whether the ahead-import is still running (time the main thread can spend on work without GX)."""
    return _thread is not None and _thread.is_alive()


def wait() -> None:
    """Let a running ahead-import finish before this thread imports anything of GX."""
    if _thread is not None and _thread is not threading.current_thread():
        _thread.join()
