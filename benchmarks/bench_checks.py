"""Benchmark: `datavet check` as a user runs it, against a hand-written one-scan DuckDB baseline.

    .venv/bin/python benchmarks/bench_checks.py --rows 1000000 10000000 --out /tmp/datavet-bench

Generates a synthetic people-dataset as Parquet (16 columns: demographics, a country column, a
label, numbers with NaN and nulls, some missing more for one group, a high-cardinality id) and a
spec with 34 checks (``SPEC``), then reports per size, each a whole child process:

* ``baseline``: every count table the spec needs written by hand in one DuckDB query, so the data is
  read once: a ``GROUPING SETS`` over the value sets and, for the missing counts (null/NaN and
  tokens, for the whole table and by each parity attribute), the parity attributes with each row's
  missing codes packed into BIGINTs, then the rows summed per code (the form ``datavet`` uses; one
  query with the dozens of missing aggregates in every grouping set takes about twice as long), in
  one Python process that imports DuckDB only;
* ``check``: ``datavet check`` (CLI start-up, GX, hashing the file, the queries, storing the result)
  with its peak RSS; ``check_more``: the same with 20 more checks of kinds already present;
* ``fixed``: ``datavet check`` on 1,000 rows against a bare ``python -c "import great_expectations"``,
  interleaved, after one untimed run of each, wall and CPU seconds (``--rows`` with no size: only
  this). Every child runs with Python's bytecode cache on, as an installed package does.

Where the seconds before the first row go (1,000 rows, profiled with ``python -X importtime`` and
cProfile on the shared 2-core machine; absolute times swing 2-3x with the load, the shares do not):

* Importing Great Expectations is most of it: ``great_expectations/__init__`` imports the data
  context, which imports every built-in expectation (``expectations.core``, with scipy.stats for the
  KL-divergence one), the checkpoint actions (with their notification clients), the renderers and
  altair, SQLAlchemy and pandas. Modules datavet never calls (the checkpoint actions, the renderers,
  most built-in expectations) are about half of that import. Avoiding them would mean planting stubs
  in ``sys.modules`` before GX loads: not safe, because a suite may hold hand-added built-in
  expectations (datavet keeps and runs them), GX registers expectations and renderers by importing
  them, and a stub would break the first GX release that imports one more name. Not done.
* What datavet imports on top (pydantic-settings, DuckDB and duckdb_engine, PyYAML, pycountry /
  country_converter, its own modules) is about 7 % of the import time.
* After the imports, datavet used to add about 2.5 s: the Data Docs build (the largest part: it
  renders every stored result; now only with ``DATAVET_DATA_DOCS=1``), re-writing and re-reading an
  unchanged suite through GX (now skipped when the generated suite equals the file), reading the
  Parquet schema twice (now once), the file context and an ephemeral context for the batch, the
  validation graph, and storing the result (kept: the certify task reads it).
* Issue 24 (6 Dec 2026, per-phase CPU seconds of one process, load 4): over the GX import, the
  privacy audit's publication 0.86 s (182 HiGHS solves 0.58 s: at 1,000 rows many cells are small),
  Python's garbage collector 0.2 s more than in the bare import (870 collections, six of them full
  passes over GX's million objects), datavet's imports 0.3 s (0.1 s of it compiling its modules under
  PYTHONDONTWRITEBYTECODE=1), the validation 0.36 s, the country tables 0.2 s, contexts, storing the
  result and writing the report about 0.3 s. The README's Benchmark section says what was cut.
"""

from __future__ import annotations

import argparse
import json
import os
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


SCAN_VALUES = [["sex"], ["race"], ["age_band"], ["job"], ["sex", "race"], ["sex", "age_band"],
               ["race", "age_band", "sex"], ["country"], ["sex", "label"], ["race", "label"], ["age_band", "label"]]
SCAN_MISSING_BY = [[], ["sex"], ["race"]]

BASELINE = """
import sys, time
import duckdb
path = sys.argv[1]
values, missing_by = {values!r}, {missing_by!r}
start = time.perf_counter()
con = duckdb.connect(config={{"threads": 2, "memory_limit": "1GB", "preserve_insertion_order": False}})
con.execute("SET enable_progress_bar = false")
src = f"read_parquet('{{path}}')"
types = dict((r[0], r[1]) for r in con.sql(f"DESCRIBE SELECT * FROM {{src}}").fetchall())
# each cell's missing code in 2 bits (1 null/NaN, 2 '?', 3 'unknown'), 31 columns per BIGINT pattern
codes, tests = [], []
for i, (c, t) in enumerate(types.items()):
    p, shift = divmod(i, 31)
    shift *= 2
    whens = [f'"{{c}}" IS NULL' + (f' OR isnan("{{c}}")' if t == "DOUBLE" else "")]
    if t == "VARCHAR":
        whens += [f"trim(\\"{{c}}\\") = '{{x}}'" for x in ("?", "unknown")]
    codes.append((p, "CASE " + " ".join(f"WHEN {{w}} THEN {{(k + 1) << shift}}" for k, w in enumerate(whens))
                  + " ELSE 0 END::BIGINT"))
    tests += [f"sum(CASE WHEN p{{p}} & {{3 << shift}} = {{(k + 1) << shift}} THEN n ELSE 0 END)"
              for k in range(1 + 2 * (t == "VARCHAR"))]
patterns = [f"p{{p}}" for p in sorted({{p for p, _ in codes}})]
packed = ", ".join(" + ".join(code for q, code in codes if f"p{{q}}" == name) + f" AS {{name}}" for name in patterns)
keys = list(dict.fromkeys(c for g in values + missing_by for c in g))
grouping = ", ".join("(" + ", ".join(g) + ")" for g in values + [b + patterns for b in missing_by])
con.sql(f\"\"\"SELECT {{', '.join(keys)}}, gid, sum(n), {{', '.join(tests)}} FROM (
    SELECT {{', '.join(keys + patterns)}}, grouping({{', '.join(keys)}}) AS gid, count(*) AS n
    FROM (SELECT {{', '.join(keys)}}, {{packed}} FROM {{src}}) GROUP BY GROUPING SETS ({{grouping}}))
  GROUP BY {{', '.join(keys)}}, gid\"\"\").fetchall()
print(time.perf_counter() - start)
"""


def timed(argv: list[str], env: dict | None = None) -> tuple[float, float, float, subprocess.CompletedProcess]:
    """(wall seconds, peak RSS in MB, CPU seconds (user + system), the finished process) of one child
    process. On a shared machine the CPU seconds say more than the wall time: other work stretches
    the wall time of a run, and much less the CPU time it needs."""
    wrapper = ["/usr/bin/time", "-f", "%M %U %S"]
    start = time.perf_counter()
    proc = subprocess.run(wrapper + argv, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    last = proc.stderr.strip().splitlines()[-1].split() if proc.stderr.strip() else ["0", "0", "0"]
    return seconds, int(last[0]) / 1024, float(last[1]) + float(last[2]), proc


def baseline(path: Path) -> dict:
    """The hand-written one-query scan in a child process (interpreter and DuckDB start included)."""
    script = BASELINE.format(values=SCAN_VALUES, missing_by=SCAN_MISSING_BY)
    seconds, rss, cpu, proc = timed([sys.executable, "-c", script, str(path)])
    if proc.returncode:
        raise SystemExit(f"baseline failed:\n{proc.stderr}")
    return {"seconds": seconds, "cpu_seconds": cpu, "queries_seconds": float(proc.stdout.split()[-1]),
            "peak_rss_mb": rss}


def more_checks() -> dict:
    """``SPEC``'s checks plus 20 of kinds already present (12 parity, 4 representation, 2 cells, 2 balance)."""
    checks = json.loads(json.dumps(SPEC["checks"]))
    checks["missingness"]["parity"] += [{"column": c, "by": b, "max_diff": 0.05}
                                        for c in ("c1", "c2", "c3", "n1", "n2", "n3") for b in ("sex", "race")]
    checks["representation"] += [{"column": c, "min_count": 10} for c in ("c1", "c3", "n3", "flag")]
    checks["intersectional"] += [{"columns": ["sex", "job"], "min_count": 10},
                                 {"columns": ["race", "job"], "min_count": 10}]
    checks["label_balance"] += [{"label": "label", "by": b, "min_disparate_impact": 0.5} for b in ("job", "country")]
    return checks


def datavet_check(out: Path, path: Path, name: str = "bench", checks: dict | None = None) -> dict:
    """`datavet check` exactly as a user runs it, in a child process: wall time and peak RSS."""
    import yaml

    spec_path = out / "datasheets" / name / "dataset.yaml"
    spec_path.parent.mkdir(parents=True, exist_ok=True)
    spec = {**SPEC, "name": name, "source": {"path": str(path)}, "checks": checks or SPEC["checks"]}
    spec_path.write_text(yaml.safe_dump(spec))
    cli = Path(sys.executable).parent / "datavet"
    env = {**_bytecode_env(), "DATAVET_PROJECT": str(out), "DATAVET_HOME": str(out / ".datavet")}
    report_path = out / f"{name}-report.json"
    seconds, rss, cpu, proc = timed([str(cli), "check", str(spec_path), "--json", str(report_path)], env)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"datavet check failed:\n{proc.stderr}")
    report = json.loads(report_path.read_text())
    return {"seconds": seconds, "cpu_seconds": cpu, "peak_rss_mb": rss, "checks": len(report["checks"]),
            "rows": report["rows"]}


def median(runs: int, fn, *args) -> dict:
    """The run of median wall time among ``runs`` runs (with every run's seconds, for the spread)."""
    return _median_of([fn(*args) for _ in range(runs)])


def _median_of(done: list[dict]) -> dict:
    """The run of median wall time, with every run's wall and CPU seconds and the median CPU seconds
    (of all runs, not only of the median-wall one)."""
    done = sorted(done, key=lambda r: r["seconds"])
    cpu = sorted(r["cpu_seconds"] for r in done)
    return {**done[len(done) // 2], "runs_seconds": [round(r["seconds"], 2) for r in done],
            "runs_cpu_seconds": [round(r["cpu_seconds"], 2) for r in done], "cpu_seconds": cpu[len(cpu) // 2]}


def _bytecode_env() -> dict:
    """The environment with Python's bytecode cache on: an installed package has its modules
    compiled, and so has GX in the venv, but an editable datavet run with PYTHONDONTWRITEBYTECODE=1
    (as on shared machines) would compile its modules on every run, about 0.1 s of its fixed cost."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def bare_gx_import(teardown: bool = True) -> dict:
    """``python -c "import great_expectations"``; without ``teardown`` the process ends as `datavet`
    ends its own (``os._exit`` after the exit handlers, datavet.cli.run), without the interpreter's
    freeing of every object GX made: the import's own cost."""
    ending = "" if teardown else "; import atexit, os; atexit._run_exitfuncs(); os._exit(0)"
    code = "import great_expectations" + ending
    seconds, rss, cpu, proc = timed([sys.executable, "-c", code], _bytecode_env())
    return {"seconds": seconds, "cpu_seconds": cpu, "peak_rss_mb": rss}


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "unknown CPU")
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {mem_gb:.0f} GiB RAM, Python {sys.version.split()[0]}"


def fixed(result: dict, small: Path, runs: int) -> None:
    """The 1,000-row `datavet check` against the bare GX import, interleaved (check, import, check, ...)
    so that a change in the machine's load falls on both; one untimed run of each first."""
    path = generate(small, 1000)
    datavet_check(small, path)
    bare_gx_import()
    checks, imports, bare = [], [], []
    for _ in range(runs):
        checks.append(datavet_check(small, path))
        imports.append(bare_gx_import())
        bare.append(bare_gx_import(teardown=False))
    result["fixed"] = {"check_1000_rows": _median_of(checks), "bare_gx_import": _median_of(imports),
                       "bare_gx_import_no_teardown": _median_of(bare)}
    for key, suffix in (("seconds", ""), ("cpu_seconds", "_cpu")):
        for base, name in (("bare_gx_import", "added"), ("bare_gx_import_no_teardown", "added_over_import_alone")):
            result["fixed"][f"{name}_seconds{suffix}"] = (result["fixed"]["check_1000_rows"][key]
                                                          - result["fixed"][base][key])
    print(json.dumps({"fixed": result["fixed"]}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="*", default=[1_000_000, 10_000_000],
                        help="sizes to time (none: only the 1,000-row fixed cost, `--rows` alone)")
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement; the median is kept")
    parser.add_argument("--out", type=Path, default=Path("/tmp/datavet-bench"))
    parser.add_argument("--no-fixed", action="store_true", help="skip the 1,000-row fixed-cost runs")
    args = parser.parse_args()
    result: dict = {"machine": machine(), "load_before": os.getloadavg()[0]}
    small = args.out / "1000"
    small.mkdir(parents=True, exist_ok=True)
    if not args.no_fixed:
        fixed(result, small, args.runs)
    for rows in args.rows:
        out = args.out / str(rows)
        out.mkdir(parents=True, exist_ok=True)
        path = generate(out, rows)
        runs = args.runs if rows <= 10_000_000 else 1
        result[str(rows)] = {"parquet_mb": path.stat().st_size / 2**20, "baseline": median(runs, baseline, path),
                             "check": median(runs, datavet_check, out, path),
                             "check_more": median(runs, datavet_check, out, path, "bench_more", more_checks())}
        print(json.dumps({rows: result[str(rows)]}), flush=True)
    sizes = [str(r) for r in args.rows]
    if "1000000" in sizes and "10000000" in sizes:
        a, b = result["1000000"], result["10000000"]
        for key, suffix in (("seconds", ""), ("cpu_seconds", "_cpu")):
            per_row_check = b["check"][key] - a["check"][key]
            per_row_base = b["baseline"][key] - a["baseline"][key]
            result[f"per_row_ratio{suffix}"] = per_row_check / per_row_base
        result["more_checks_added"] = b["check_more"]["seconds"] / b["check"]["seconds"] - 1
    result["load_after"] = os.getloadavg()[0]
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
