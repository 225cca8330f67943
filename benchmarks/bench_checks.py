"""Benchmark: datavet's checks (GX on DuckDB) against a hand-written DuckDB query set.

    .venv/bin/python benchmarks/bench_checks.py --rows 10000000 --out /tmp/datavet-bench

Generates a synthetic people-dataset as Parquet (16 columns: demographics, a country column, a
label, numbers with NaN and nulls, some missing more for one group, a high-cardinality id) and a
spec with ~25 checks, then times the whole audit through ``datavet check`` (a child process: CLI
start-up, GX, hashing the file and the queries; its peak RSS) against the same count tables written
by hand as one DuckDB query set, and prints both times, their ratio and the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

SPEC = {
    "name": "bench", "title": "synthetic benchmark", "owner": "bench", "license": "CC0",
    "source": {"path": "bench.parquet"}, "missing_tokens": ["?", "unknown"],
    "columns": {"sex": {"role": "protected"}, "race": {"role": "protected"}, "country": {"role": "geography"},
                "label": {"role": "label", "positive": "yes"}, "person_id": {"role": "identifying"}},
    "checks": {
        "missingness": {"max_rate": 0.2, "parity": [
            {"column": c, "by": b, "max_diff": 0.05} for c in ("job", "education", "income") for b in ("sex", "race")]},
        "representation": [{"column": c, "min_count": 100} for c in ("sex", "race", "age_band", "job")]
        + [{"column": "sex", "reference": {"F": 0.5, "M": 0.5}, "min_ratio": 0.8}],
        "intersectional": [{"columns": ["sex", "race"], "min_count": 50},
                           {"columns": ["sex", "age_band"], "min_count": 50},
                           {"columns": ["race", "age_band", "sex"], "min_count": 10}],
        "geography": [{"column": "country", "reference": "world_population", "max_top1_share": 0.9}],
        "label_balance": [{"label": "label", "by": b, "min_disparate_impact": 0.5}
                          for b in ("sex", "race", "age_band")],
    },
}

GENERATE = """
COPY (SELECT
  i AS person_id,
  CASE WHEN i % 97 = 0 THEN NULL WHEN i % 3 = 0 THEN 'F' ELSE 'M' END AS sex,
  ['White','Black','Asian','Other','?'][1 + (hash(i) % 5)::INT] AS race,
  ['18-25','26-35','36-50','51+'][1 + (hash(i + 1) % 4)::INT] AS age_band,
  CASE WHEN hash(i + 2) % 20 = 0 THEN 'unknown' ELSE 'job' || (hash(i + 3) % 12)::VARCHAR END AS job,
  CASE WHEN hash(i + 4) % 25 = 0 THEN NULL ELSE 'edu' || (hash(i + 5) % 8)::VARCHAR END AS education,
  CASE WHEN hash(i + 6) % 30 = 0 THEN 'NaN'::DOUBLE WHEN hash(i + 6) % 31 = 0 THEN NULL
       ELSE (hash(i + 7) % 100000)::DOUBLE END AS income,
  ['USA','Mexico','DE','India','China','?','Brazil','NA'][1 + (hash(i + 8) % 8)::INT] AS country,
  CASE WHEN hash(i + 9) % 4 = 0 THEN 'yes' ELSE 'no' END AS label,
  (hash(i + 10) % 1000)::BIGINT AS n1, (hash(i + 11) % 1000)::DOUBLE AS n2, (hash(i + 12) % 7)::BIGINT AS n3,
  'c' || (hash(i + 13) % 50)::VARCHAR AS c1, 'd' || (hash(i + 14) % 500)::VARCHAR AS c2,
  (i % 2 = 0) AS flag, 'e' || (hash(i + 15) % 5)::VARCHAR AS c3
FROM range({rows}) t(i)) TO '{path}' (FORMAT parquet, COMPRESSION zstd)
"""


def generate(out: Path, rows: int) -> Path:
    import duckdb

    path = out / "bench.parquet"
    if not path.exists():
        duckdb.sql(GENERATE.format(rows=rows, path=path))
    return path


def hand_written(path: Path) -> float:
    """The same count tables, written by hand: one scan for missing counts, one per GROUP BY."""
    import duckdb

    con = duckdb.connect()
    src = f"read_parquet('{path}')"
    cols = [r[0] for r in con.sql(f"DESCRIBE SELECT * FROM {src}").fetchall()]
    types = dict(con.sql(f"DESCRIBE SELECT * FROM {src}").fetchall()[i][:2] for i in range(len(cols)))
    aggs = []
    for c in cols:
        nan = f' OR isnan("{c}")' if types[c] == "DOUBLE" else ""
        aggs.append(f'sum(CASE WHEN "{c}" IS NULL{nan} THEN 1 ELSE 0 END)')
        if types[c] == "VARCHAR":
            aggs += [f"sum(CASE WHEN trim(\"{c}\") = '{t}' THEN 1 ELSE 0 END)" for t in ("?", "unknown")]
    start = time.perf_counter()
    con.sql(f"SELECT count(*), {', '.join(aggs)} FROM {src}").fetchall()
    for by in ("sex", "race"):
        con.sql(f"SELECT {by}, count(*), {', '.join(aggs)} FROM {src} GROUP BY {by}").fetchall()
    for group in (["sex"], ["race"], ["age_band"], ["job"], ["sex", "race"], ["sex", "age_band"],
                  ["race", "age_band", "sex"], ["country"], ["sex", "label"], ["race", "label"],
                  ["age_band", "label"]):
        g = ", ".join(group)
        con.sql(f"SELECT {g}, count(*) FROM {src} GROUP BY {g}").fetchall()
    return time.perf_counter() - start


def datavet_check(out: Path, path: Path) -> dict:
    """`datavet check` exactly as a user runs it, in a child process: wall time and peak RSS."""
    import yaml

    spec_path = out / "datasheets" / "bench" / "dataset.yaml"
    spec_path.parent.mkdir(parents=True, exist_ok=True)
    spec_path.write_text(yaml.safe_dump({**SPEC, "source": {"path": str(path)}}))
    cli = Path(sys.executable).parent / "datavet"
    env = {**os.environ, "DATAVET_PROJECT": str(out), "DATAVET_HOME": str(out / ".datavet")}
    start = time.perf_counter()
    proc = subprocess.run([str(cli), "check", str(spec_path), "--json", str(out / "report.json")],
                          capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"datavet check failed:\n{proc.stderr}")
    report = json.loads((out / "report.json").read_text())
    return {"datavet_check_seconds": seconds,
            "datavet_peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
            "checks": len(report["checks"]), "rows": report["rows"]}


AUDIT_ONLY = """
import json, resource, sys, time
from pathlib import Path
import datavet.gx  # GX's import (about 5 s here) is a fixed cost, timed separately from the audit
from datavet.checks import run_checks
from datavet.settings import Settings
from datavet.spec import load_spec
out, data = Path(sys.argv[1]), Path(sys.argv[2])
loaded = load_spec(out / "datasheets" / "bench" / "dataset.yaml")
start = time.perf_counter()
run_checks(loaded, data, settings=Settings.from_env(out), store=True)
print(json.dumps({"audit_only_seconds": time.perf_counter() - start}))
"""


def audit_only(out: Path, path: Path) -> dict:
    """The same audit in-process after GX is imported: what the checks themselves cost."""
    env = {**os.environ, "DATAVET_PROJECT": str(out), "DATAVET_HOME": str(out / ".datavet")}
    proc = subprocess.run([sys.executable, "-c", AUDIT_ONLY, str(out), str(path)], capture_output=True,
                          text=True, env=env, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "unknown CPU")
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {mem_gb:.0f} GiB RAM, Python {sys.version.split()[0]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--out", type=Path, default=Path("/tmp/datavet-bench"))
    args = parser.parse_args()
    out = args.out / str(args.rows)
    out.mkdir(parents=True, exist_ok=True)
    path = generate(out, args.rows)
    result = {"machine": machine(), "parquet_mb": path.stat().st_size / 2**20}
    result["hand_written_duckdb_seconds"] = hand_written(path)
    result.update(datavet_check(out, path))
    result.update(audit_only(out, path))
    hand = result["hand_written_duckdb_seconds"]
    result["ratio"] = result["datavet_check_seconds"] / hand
    result["audit_only_ratio"] = result["audit_only_seconds"] / hand
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
