"""Benchmark: the audit on Spark (local mode) against DuckDB, on the same Parquet file.

    .venv/bin/python benchmarks/bench_spark.py --rows 10000000 --out /tmp/datavet-bench-spark

Uses bench_checks' synthetic people-dataset and spec. Each engine runs ``run_checks`` in its own
child process (GX imported before the clock starts); printed: wall time of the audit, peak RSS of
the Python driver and, for Spark, of the driver's JVM (local mode: it also runs the executors), and
whether every figure of every check is equal on both engines (counts exactly, the rest to 1e-12).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_checks import SPEC, generate, machine  # noqa: E402

CHILD = """
import json, resource, sys, time
from pathlib import Path
import datavet.gx  # GX's import is a fixed cost, left out of the timing
from datavet.checks import run_checks
from datavet.settings import Settings
from datavet.spec import load_spec
out, data, engine = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
settings = Settings.from_env(out)
loaded = load_spec(out / "datasheets" / "bench" / "dataset.yaml")
jvm_peak = None
if engine == "spark":
    from datavet.engines.spark import session
    session(settings)  # JVM start-up timed separately
start = time.perf_counter()
report = run_checks(loaded, data, engine=engine, settings=settings, store=False)
seconds = time.perf_counter() - start
if engine == "spark":
    pid = session(settings).sparkContext._gateway.proc.pid
    status = Path(f"/proc/{pid}/status").read_text().splitlines()
    jvm_peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) / 1024
print(json.dumps({"seconds": seconds, "python_peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "jvm_peak_rss_mb": jvm_peak, "rows": report.rows,
                  "checks": [[c.check, c.column, c.columns, c.by, c.observed] for c in report.checks]}))
"""


def run(out: Path, path: Path, engine: str) -> dict:
    env = {**os.environ, "DATAVET_PROJECT": str(out), "DATAVET_HOME": str(out / ".datavet")}
    proc = subprocess.run([sys.executable, "-c", CHILD, str(out), str(path), engine], capture_output=True, text=True,
                          env=env)
    if proc.returncode != 0:
        raise SystemExit(f"{engine} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def close(a, b, tol: float = 1e-12) -> bool:
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(close(a[k], b[k], tol) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(close(x, y, tol) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, (int, float)) and not isinstance(b, bool):
        return math.isclose(a, b, rel_tol=0, abs_tol=tol)
    return a == b


def main() -> None:
    import yaml

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--out", type=Path, default=Path("/tmp/datavet-bench-spark"))
    args = parser.parse_args()
    out = args.out / str(args.rows)
    out.mkdir(parents=True, exist_ok=True)
    path = generate(out, args.rows)
    spec_path = out / "datasheets" / "bench" / "dataset.yaml"
    spec_path.parent.mkdir(parents=True, exist_ok=True)
    spec_path.write_text(yaml.safe_dump({**SPEC, "source": {"path": str(path)}}))
    duck, spark = run(out, path, "duckdb"), run(out, path, "spark")
    print(json.dumps({
        "machine": machine(), "rows": args.rows, "parquet_mb": round(path.stat().st_size / 2**20, 1),
        "duckdb_seconds": round(duck["seconds"], 1), "spark_local_seconds": round(spark["seconds"], 1),
        "duckdb_python_peak_rss_mb": round(duck["python_peak_rss_mb"]),
        "spark_python_peak_rss_mb": round(spark["python_peak_rss_mb"]),
        "spark_jvm_peak_rss_mb": round(spark["jvm_peak_rss_mb"]),
        "figures_equal": duck["rows"] == spark["rows"] and close(duck["checks"], spark["checks"]),
    }, indent=1))


if __name__ == "__main__":
    main()
