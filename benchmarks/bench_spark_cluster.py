"""Benchmark: a partitioned source certified with ``engine: spark`` on a Spark standalone cluster.

    .venv/bin/python benchmarks/bench_spark_cluster.py --rows 10000000 --out /tmp/datavet-bench-spark-cluster

Starts the tests' cluster (``tests/spark_cluster.py``: a master and two workers on 127.0.0.1, one
core and 512 MB for executors each), writes ``bench_incremental.py``'s lake (the people-dataset as
``--partitions`` Hive partitions) and certifies it twice, each ``datavet certify`` a child process
from start-up to exit, in a new registry: with ``engine: spark`` pointed at the cluster by
``DATAVET_SPARK_MASTER`` (the executors write the parts, the checks and the profile run there), and
with DuckDB. Prints wall seconds, the peak RSS of the Spark driver's Python process and of its JVM
(the kernel's high-water marks, read from /proc every 0.2 s; executors are the workers' children,
not counted), whether both certified the same ``.dir`` md5, and whether every figure is equal.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]
from bench_checks import machine  # noqa: E402
from bench_incremental import _md5, figures, generate, project  # noqa: E402


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return out


def _hwm(pid: int) -> tuple[str, int] | None:
    """(command name, VmHWM in bytes) of a live process; None once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return None
    name = status[0].split()[1]
    peak = next((int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:")), 0)
    return name, peak


def certify(spec_path: Path, env: dict[str, str]) -> dict:
    """``datavet certify`` as a child process: wall seconds and the peak RSS of it and of its JVM."""
    cli = Path(sys.executable).parent / "datavet"
    start = time.perf_counter()
    proc = subprocess.Popen([str(cli), "certify", str(spec_path)], env=env, cwd=spec_path.parents[2],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peaks = {"python": 0, "jvm": 0}

    def sample() -> None:
        while proc.poll() is None:
            todo, seen = [proc.pid], []
            while todo:
                pid = todo.pop()
                seen.append(pid)
                todo += _children(pid)
            for pid in seen:
                found = _hwm(pid)
                if found is not None:
                    key = "python" if pid == proc.pid else "jvm" if found[0] == "java" else None
                    if key:
                        peaks[key] = max(peaks[key], found[1])
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = proc.communicate()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"datavet certify {spec_path} failed:\n{err[-3000:]}")
    return {"seconds": round(time.perf_counter() - start, 1),
            "python_peak_rss_mb": peaks["python"] >> 20, "jvm_peak_rss_mb": peaks["jvm"] >> 20}


def main() -> None:
    from tests.spark_cluster import start_cluster

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--partitions", type=int, default=20)
    parser.add_argument("--out", type=Path, default=Path("/tmp/datavet-bench-spark-cluster"))
    args = parser.parse_args()
    out = args.out / str(args.rows)
    out.mkdir(parents=True, exist_ok=True)
    lake = generate(out, args.rows, args.partitions)
    result: dict = {"machine": machine(), "rows": args.rows, "partitions": args.partitions,
                    "load_before": os.getloadavg()[0]}
    cluster = start_cluster(workers=2)
    try:
        spec_path, env = project(out, "spark", {"path": str(lake), "partitioned": True})
        spec = yaml.safe_load(spec_path.read_text())
        spec_path.write_text(yaml.safe_dump({**spec, "engine": "spark"}, sort_keys=False))
        env |= cluster.env()
        result["spark"] = certify(spec_path, env)
        apps = cluster.state()["completedapps"]
        result["spark"]["cluster_apps"] = [{"name": a["name"], "cores": a["cores"]} for a in apps]
    finally:
        cluster.stop()
    duck_path, duck_env = project(out, "duckdb", {"path": str(lake), "partitioned": True})
    result["duckdb"] = certify(duck_path, duck_env)
    for name, environment in (("spark", env), ("duckdb", duck_env)):
        registry = Path(environment["DATAVET_HOME"]) / "registry"
        tag = subprocess.run(["git", "tag", "--list", "bench/certified/*"], cwd=registry, capture_output=True,
                             text=True, check=True).stdout.split()[0]
        result[name]["md5"] = _md5(registry, tag)
    result["same_md5"] = result["spark"]["md5"] == result["duckdb"]["md5"]
    on_spark, on_duckdb = figures(env), figures(duck_env)
    result["figures_equal"] = on_spark == on_duckdb
    if not result["figures_equal"]:
        result["differences"] = {k: [on_spark[k], on_duckdb[k]] for k in on_spark if on_spark[k] != on_duckdb[k]}
    result["load_after"] = os.getloadavg()[0]
    print(json.dumps(result, default=str), flush=True)


if __name__ == "__main__":
    main()
