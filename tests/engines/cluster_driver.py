"""A Spark driver process for the standalone-cluster tests: ``python -m tests.engines.cluster_driver JOB OUT``.

It runs in its own process because a Python process holds one SparkContext: the test session's local
one (``spark_session``) cannot be the cluster's. It is pointed at the cluster only by the environment
(``DATAVET_SPARK_MASTER``, ``DATAVET_SPARK_CONF``), read by ``datavet.settings.Settings``, and it
pickles what it computed into OUT with its peak memory: the Python driver's and its JVM's.
"""

from __future__ import annotations

import json
import os
import pickle
import resource
import sys
from pathlib import Path


def checks(job: dict) -> dict:
    """run_checks and the datasheet profile of each dataset's Parquet version on engine spark."""
    from datavet.checks import run_checks
    from datavet.datasheet.profile import profile_version
    from datavet.engines import engine_for
    from datavet.settings import Settings
    from datavet.spec import load_spec

    out = {}
    for item in job["datasets"]:
        root = Path(item["root"])
        loaded = load_spec(Path(item["spec"]))
        settings = Settings(project=root, registry=root / ".datavet" / "registry", remote="", gx_root=root / "gx")
        report = run_checks(loaded, Path(item["parquet"]), engine="spark", settings=settings, store=False)
        engine = engine_for("spark", settings)
        out[loaded.spec.name] = {"engine": report.engine, "checks": report.checks,
                                 "profile": profile_version(Path(item["parquet"]), loaded, engine)}
    return out


def master_of_session() -> str:
    from datavet.engines.spark import _SESSION

    return _SESSION.sparkContext.master if _SESSION is not None else ""


def peak_rss() -> dict[str, int]:
    """Peak resident memory in bytes of this Python process and of the driver JVM it started."""
    from datavet.engines import spark

    peaks = {"python": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}
    if spark._SESSION is not None:
        pid = spark._SESSION.sparkContext._gateway.proc.pid
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peaks["jvm"] = int(line.split()[1]) * 1024
    return peaks


def write_parts(job: dict) -> dict:
    """The parts of ``job["tasks"]`` written on the executors into ``job["folder"]``."""
    from datavet.settings import Settings
    from datavet.sources.partitioned import PartTask
    from datavet.sources.spark_parts import write_parts as write

    settings = Settings(project=Path(job["folder"]))
    tasks = [PartTask(name, select) for name, select in job["tasks"]]
    return {"written": write(settings, tasks, Path(job["folder"]), dataset="test"), "pid": os.getpid()}


def certify(job: dict) -> dict:
    """``datavet certify`` of the spec (datavet.pipeline.run_all): the certificate, the stored
    validation report and the datasheet's computed facts, read back from the registry."""
    from datavet.pipeline import run_all
    from datavet.settings import Settings
    from datavet.sources import spark_parts
    from datavet.spec import load_spec

    root = Path(job["root"])
    settings = Settings(project=root, home=root / ".datavet")
    loaded = load_spec(Path(job["spec"]))
    seen: list = []
    write = spark_parts.write_parts

    def recorded(*args, **kwargs):  # the real writer, its result kept to show which processes wrote
        seen.append(write(*args, **kwargs))
        return seen[-1]

    spark_parts.write_parts = recorded
    try:
        _, cert, _ = run_all(loaded, settings)
    finally:
        spark_parts.write_parts = write
    return {"md5": cert.md5, "rows": cert.rows, "written": seen[0], "pid": os.getpid(),
            **certified(settings, loaded.spec.name, cert)}


def certified(settings, name: str, cert) -> dict:
    """The validation report and the datasheet JSON of a certification, as the registry holds them."""
    from datavet.pipeline import registry_for

    registry = registry_for(settings)
    return {"report": json.loads(registry.show(cert.tag, registry.validation_path(name, cert.md5))),
            "datasheet": json.loads(registry.show(cert.tag, registry.datasheet_dir(name) / "datasheet.json"))}


STEPS = {"checks": checks, "write_parts": write_parts, "certify": certify}


def main(job_path: str, out_path: str) -> None:
    """Run each step of the job in order (one driver, one SparkSession) and pickle what they return."""
    import time

    steps, seconds = [], []
    for step in json.loads(Path(job_path).read_text())["steps"]:
        start = time.perf_counter()
        steps.append(STEPS[step["kind"]](step))
        seconds.append(round(time.perf_counter() - start, 1))
    result = {"steps": steps, "seconds": seconds, "master": master_of_session(), "peak_rss": peak_rss()}
    Path(out_path).write_bytes(pickle.dumps(result))


if __name__ == "__main__":
    main(*sys.argv[1:3])
