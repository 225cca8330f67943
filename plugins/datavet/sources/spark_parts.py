"""A partitioned version's parts written by Spark's executors (``engine: spark``), never by the driver.

Each part is one Spark task: ``mapInArrow`` over a one-row-per-part range runs, on an executor,
the part's own reading statement in an embedded DuckDB (the statement the in-process path runs)
and streams its Arrow batches into :func:`datavet.sources.parts.write_part`. So a part's bytes are
those the DuckDB path writes, and its md5 is computed where it is written (behind the writer). The
driver sends statements and gets back one small row per part (name, md5, rows, nulls): it holds
no data rows, whatever the size of the table, and assembles the ``.dir`` listing from them.

Why not Spark's own Parquet/CSV reader: a part's bytes must not depend on the engine (the same
source gives the same ``.dir`` md5 whichever engine writes it), and Spark's type inference and
text rendering differ from DuckDB's. What Spark adds is where the work runs: the parts are read,
encoded, compressed and hashed in parallel on the executors.

The executors must reach the source and ``folder`` (the registry's staging area, on the file
system of its DVC cache) at the same paths as the driver: a shared mount on a real cluster.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from datavet.errors import DataError
from datavet.sources.partitioned import PartTask, write_task
from datavet.sources.parts import Part

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa

    from datavet.settings import Settings


def write_on_executor(task: PartTask, folder: Path, *, memory_limit: str | None, threads: int) -> Part:
    """Write ``task``'s part into ``folder`` from an executor: its own DuckDB, spilling to the
    executor's local disk (not the shared folder), with the driver's memory limit."""
    import shutil
    import tempfile

    from datavet.sources.table import connect, literal

    spill = Path(tempfile.mkdtemp(prefix="datavet-part-"))
    con = connect(None, spill)
    try:
        con.execute(f"SET threads = {int(threads)}")
        if memory_limit:
            con.execute(f"SET memory_limit = {literal(memory_limit)}")
        return write_task(con, task, folder)
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)


RESULT = "name string, md5 string, rows bigint, nulls string, error string, host string"  # one row per part


def _result_schema() -> pa.Schema:
    """``RESULT`` as the Arrow schema the executors' batches carry."""
    import pyarrow as pa

    return pa.schema([("name", pa.string()), ("md5", pa.string()), ("rows", pa.int64()),
                      ("nulls", pa.string()), ("error", pa.string()), ("host", pa.string())])


def _run_tasks(batches: Iterator[pa.RecordBatch], *, tasks: Sequence[PartTask], folder: str,
               memory_limit: str | None, threads: int) -> Iterator[pa.RecordBatch]:
    """The executor's side of ``mapInArrow``: each incoming id is a task index; one result row out.

    A task's error is returned, not raised: bad data is not worth Spark's retries, and the driver
    turns it into a DataError naming the part."""
    import socket

    import pyarrow as pa

    schema = _result_schema()
    for batch in batches:
        for index in batch.column(0).to_pylist():
            task = tasks[index]
            row = {"name": task.name, "md5": None, "rows": None, "nulls": None, "error": None,
                   "host": f"{socket.gethostname()}:{os.getpid()}"}
            try:
                part = write_on_executor(task, Path(folder), memory_limit=memory_limit, threads=threads)
                row |= {"md5": part.md5, "rows": part.rows, "nulls": json.dumps(part.nulls)}
            except Exception as exc:  # reported to the driver (see above)
                row["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:500] if str(exc) else ''}"
            yield pa.RecordBatch.from_pylist([row], schema=schema)


@dataclass(frozen=True)
class Written:
    """What the executors wrote: each part's md5, rows and nulls, and which executor process wrote it."""

    parts: dict[str, Part]
    writers: dict[str, str]  # part name -> "host:pid" of the Python worker that wrote it


def write_parts(settings: Settings, tasks: Sequence[PartTask], folder: Path, *, dataset: str) -> Written:
    """Write every part of ``tasks`` into ``folder`` on Spark's executors, one task per part."""
    from datavet.engines.spark import session

    if not tasks:
        return Written({}, {})
    folder.mkdir(parents=True, exist_ok=True)
    spark = session(settings)
    run = functools.partial(_run_tasks, tasks=list(tasks), folder=str(folder.resolve()),
                            memory_limit=settings.duckdb_memory_limit, threads=1)
    ids = spark.range(0, len(tasks), 1, numPartitions=len(tasks))  # one part per Spark task
    try:
        rows = ids.mapInArrow(run, RESULT).collect()
    except Exception as exc:  # py4j / Spark Connect errors share no base class
        raise DataError(f"Spark could not run the tasks writing the version's parts ({type(exc).__name__}: "
                        f"{str(exc).splitlines()[0][:300]})", dataset=dataset,
                        fix="check that the executors run this datavet and reach the source and the registry at "
                            "the driver's paths (a shared mount), or use engine: duckdb") from None
    failed = [r for r in rows if r["error"]]
    if failed:
        raise DataError(f"part {failed[0]['name']} could not be written on an executor: {failed[0]['error']}",
                        dataset=dataset, fix="check that the executors reach the source at the driver's path and "
                                             "that its files are readable Parquet")
    names = sorted(r["name"] for r in rows)
    if names != sorted(t.name for t in tasks) or not all(_MD5.fullmatch(r["md5"] or "") for r in rows):
        raise DataError(f"Spark returned {len(rows)} part results for {len(tasks)} parts, or a malformed md5",
                        dataset=dataset, fix="re-run the version stage (a speculative or lost task); if it "
                                             "persists, use engine: duckdb and report it")
    return Written(parts={r["name"]: Part(md5=r["md5"], rows=int(r["rows"]), nulls=json.loads(r["nulls"]))
                          for r in rows},
                   writers={r["name"]: r["host"] for r in rows})


_MD5 = re.compile(r"[0-9a-f]{32}")


def writer(settings: Settings, dataset: str):
    """``write_elsewhere`` for :func:`datavet.sources.partitioned.materialise_parts`: the executors write."""
    def write(tasks: Sequence[PartTask], folder: Path) -> dict[str, Part]:
        return write_parts(settings, tasks, folder, dataset=dataset).parts

    return write
