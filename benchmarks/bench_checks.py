"""Benchmark: datavet's checks (GX on DuckDB) against a hand-written DuckDB query set.

    PYTHONPATH=plugins python benchmarks/bench_checks.py --rows 10000000 --out /tmp/bench

Generates a synthetic Parquet file (16 columns: demographics, a country column, a label, numbers
with NaN and nulls, a high-cardinality id) and a spec with ~25 checks, then times ``run_checks``
(peak RSS measured in a child process) and the same counts written by hand in DuckDB.
"""

from __future__ import annotations

import argparse
import json
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
        "label_balance": [{"label": "label", "by": b, "min_disparate_impact": 0.5} for b in ("sex", "race", "age_band")],
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


def datavet_run(out: Path) -> None:
    """Child process: run the checks and print seconds and peak RSS."""
    from datavet.checks import run_checks
    from datavet.settings import Settings
    from datavet.spec import LoadedSpec, parse_spec

    spec = parse_spec(SPEC, out / "dataset.yaml")
    loaded = LoadedSpec(spec=spec, path=out / "dataset.yaml", root=out)
    settings = Settings(project=out, registry=out / "registry", remote="", gx_root=out / "gx")
    import datavet.gx  # noqa: F401  (import cost is not the query cost)

    start = time.perf_counter()
    report = run_checks(loaded, out / "bench.parquet", settings=settings, store=False)
    seconds = time.perf_counter() - start
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_rss_mb": rss_mb, "checks": len(report.checks),
                      "rows": report.rows}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--out", type=Path, default=Path("/tmp/datavet-bench"))
    parser.add_argument("--child", action="store_true")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.child:
        datavet_run(args.out)
        return
    path = generate(args.out, args.rows)
    hand = hand_written(path)
    child = subprocess.run([sys.executable, __file__, "--child", "--out", str(args.out)], check=True,
                           capture_output=True, text=True)
    result = json.loads(child.stdout.strip().splitlines()[-1])
    result["hand_written_seconds"] = hand
    result["ratio"] = result["seconds"] / hand
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
