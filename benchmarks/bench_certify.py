"""Benchmark: `datavet certify` of a CSV source against the same work done by hand.

    .venv/bin/python benchmarks/bench_certify.py --rows 10000000 --out /tmp/datavet-bench-certify

Writes two CSV files, each with a spec and a complete answers file:

* ``people``: the synthetic people-dataset of ``bench_checks.py`` (16 columns, mostly short text;
  10M rows are about 717 MB) with its 34 checks;
* ``floats``: float-heavy, as published measurements are: 8 float columns of 17 significant digits
  (some cells empty) beside 4 demographic columns (10M rows are about 1.78 GB), with 21 checks;

then measures, per file, two child processes, each from start-up to exit (wall time and peak RSS
of the process tree):

* ``datavet certify SPEC`` on a new registry (created before the clock starts, as the hand's
  repository is): version (CSV -> Parquet, DVC cache), validate (GX on DuckDB), document
  (datasheet), certify (push to the local DVC remote, git commit and tag);
* the same work by hand: DuckDB reads the CSV into Parquet, ``dvc add`` in a fresh git + DVC
  repository, and the audit as ``bench_checks.py``'s hand-written DuckDB queries.

Prints, per file, the medians of ``--runs`` runs of each (wall and CPU seconds: on a shared machine
the CPU seconds are the steadier), their ratios, the largest peak RSS, the machine and the load
average before and after as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_checks import BASELINE, GENERATE, SCAN_MISSING_BY, SCAN_VALUES, SPEC, machine  # noqa: E402

MEASURE = textwrap.dedent("""
    import json, resource, subprocess, sys, time
    start = time.perf_counter()
    proc = subprocess.run(sys.argv[1:])
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({"returncode": proc.returncode, "seconds": time.perf_counter() - start,
                      "cpu_seconds": usage.ru_utime + usage.ru_stime, "peak_rss_mb": usage.ru_maxrss / 1024}))
""")

HAND = textwrap.dedent("""
    import subprocess, sys
    from pathlib import Path
    import duckdb
    csv, repo, audit = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    parquet = repo / "bench.parquet"
    duckdb.sql(f"COPY (SELECT * FROM read_csv('{csv}')) TO '{parquet}' (FORMAT parquet, COMPRESSION zstd)")
    subprocess.run(["dvc", "add", "-q", parquet.name], cwd=repo, check=True)
    sys.argv = ["audit", str(parquet)]
    exec(audit)  # bench_checks.py's hand-written audit queries, in this process
""")


# The data registry exists before the timed run, as the hand's git + DVC repository does (set-up).
REGISTRY = "from datavet.registry import Registry; from datavet.settings import Settings; " \
           "Registry.of(Settings.from_env()).ensure()"


FLOATS = """
COPY (SELECT
  CASE WHEN i % 97 = 0 THEN NULL WHEN i % 3 = 0 THEN 'F' ELSE 'M' END AS sex,
  ['White','Black','Asian','Other','?'][1 + (hash(i) % 5)::INT] AS race,
  ['18-25','26-35','36-50','51+'][1 + (hash(i + 1) % 4)::INT] AS age_band,
  CASE WHEN hash(i + 9) % 4 = 0 THEN 'yes' ELSE 'no' END AS label,
  {floats}
FROM range({rows}) t(i)) TO '{path}' (FORMAT csv)
"""
# 17 significant digits, as a float printed for round-tripping has; every 50th cell of f1-f4 is empty
FLOAT = ("CASE WHEN {k} <= 4 AND hash(i + {salt}) % 50 = 0 THEN NULL "
         "ELSE printf('%.17g', (hash(i + {salt}) % 100000000000000000)::DOUBLE / 1e{scale}) END AS f{k}")

FLOAT_SPEC = {
    **{k: v for k, v in SPEC.items() if k not in ("columns", "checks")},
    "columns": {"sex": {"role": "protected"}, "race": {"role": "protected"},
                "label": {"role": "label", "positive": "yes"}},
    "checks": {
        "missingness": {"max_rate": 0.2, "parity": [
            {"column": c, "by": b, "max_diff": 0.05} for c in ("f1", "f2", "f3") for b in ("sex", "race")]},
        "representation": [{"column": c, "min_count": 100} for c in ("sex", "race", "age_band")],
        "intersectional": [{"columns": ["sex", "race"], "min_count": 50},
                           {"columns": ["race", "age_band", "sex"], "min_count": 10}],
        "label_balance": [{"label": "label", "by": b, "min_disparate_impact": 0.5}
                          for b in ("sex", "race", "age_band")],
    },
}
FLOAT_VALUES = [["sex"], ["race"], ["age_band"], ["sex", "race"], ["race", "age_band", "sex"], ["sex", "label"],
                ["race", "label"], ["age_band", "label"]]
DATASETS = {  # name: (spec, COPY statement, the hand audit's value sets and missing-count groupings)
    "people": (SPEC, GENERATE.replace("FORMAT parquet, COMPRESSION zstd", "FORMAT csv"), SCAN_VALUES, SCAN_MISSING_BY),
    "floats": (FLOAT_SPEC, FLOATS.replace("{floats}", ",\n  ".join(
        FLOAT.format(k=k, salt=20 + k, scale=17 - k) for k in range(1, 9))), FLOAT_VALUES, SCAN_MISSING_BY),
}


def generate(out: Path, rows: int, data: str = "people") -> Path:
    """The benchmark's ``data`` as CSV (written once per row count)."""
    import duckdb

    path = out / f"{data}.csv"
    if not path.exists():
        tmp = out / f"{data}.csv.tmp"
        duckdb.sql(DATASETS[data][1].format(rows=rows, path=tmp))
        tmp.rename(path)
    return path


def warnings_only(spec: dict) -> dict:
    """The benchmark's checks as warnings: the synthetic data fails some by design, and a failed
    error-severity check would stop before the datasheet and the certification (same work either way)."""
    checks = json.loads(json.dumps(spec["checks"]))
    checks["missingness"]["severity"] = "warning"
    for parity in checks["missingness"]["parity"]:
        parity["severity"] = "warning"
    for kind in ("representation", "intersectional", "geography", "label_balance"):
        for check in checks.get(kind, []):
            check["severity"] = "warning"
    return {**spec, "checks": checks}


def answers(name: str) -> dict:
    """Every datasheet prompt answered and attested (certification requires it)."""
    from datavet.datasheet.questions import PROMPT_IDS

    return {"dataset": name, "attested_by": "bench@example.org", "attested_on": "2026-01-01",
            "answers": {pid: {"answer": f"Synthetic benchmark data ({pid})."} for pid in PROMPT_IDS}}


def measure(cmd: list[str], env: dict[str, str], cwd: Path) -> dict:
    """Wall time and peak RSS of ``cmd`` (and its children), measured by a fresh parent process."""
    proc = subprocess.run([sys.executable, "-c", MEASURE, *cmd], env=env, cwd=cwd, capture_output=True, text=True)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    if result["returncode"] != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr[-3000:]}")
    return result


def datavet_certify(out: Path, csv: Path, spec: dict) -> dict:
    project = out / "project"
    shutil.rmtree(project, ignore_errors=True)
    spec_path = project / "datasheets" / "bench" / "dataset.yaml"
    spec_path.parent.mkdir(parents=True)
    spec_path.write_text(yaml.safe_dump({**warnings_only(spec), "source": {"path": str(csv)}}, sort_keys=False))
    (spec_path.parent / "answers.yaml").write_text(yaml.safe_dump(answers("bench"), sort_keys=False))
    env = {**os.environ, "DATAVET_PROJECT": str(project), "DATAVET_HOME": str(project / ".datavet")}
    subprocess.run([sys.executable, "-c", REGISTRY], env=env, cwd=project, check=True)  # set-up, not timed
    cli = Path(sys.executable).parent / "datavet"
    return measure([str(cli), "certify", str(spec_path)], env, project)


def by_hand(out: Path, csv: Path, values: list, missing_by: list) -> dict:
    repo = out / "hand"
    shutil.rmtree(repo, ignore_errors=True)
    repo.mkdir()
    for cmd in (["git", "init", "-q"], ["dvc", "init", "-q"]):  # set-up, not timed
        subprocess.run(cmd, cwd=repo, check=True)
    audit = BASELINE.format(values=values, missing_by=missing_by)
    return measure([sys.executable, "-c", HAND, str(csv), str(repo), audit], dict(os.environ), repo)


def bench(out: Path, rows: int, data: str, runs: int, skip_hand: bool, keep: bool) -> dict:
    """One file: the hand's run, then datavet's, ``runs`` times; the medians, every run's seconds and
    the load average around them."""
    spec, _, values, missing_by = DATASETS[data]
    out = out / data
    out.mkdir(parents=True, exist_ok=True)
    csv = generate(out, rows, data)
    result = {"data": data, "rows": rows, "csv_mb": round(csv.stat().st_size / 2**20),
              "load_before": os.getloadavg()[0]}
    measured: dict[str, list[dict]] = {"hand": [], "certify": []}
    for _ in range(runs):
        if not skip_hand:
            measured["hand"].append(by_hand(out, csv, values, missing_by))
        measured["certify"].append(datavet_certify(out, csv, spec))
    for who, done in measured.items():
        if done:
            done.sort(key=lambda r: r["seconds"])
            typical = done[len(done) // 2]
            result |= {f"{who}_seconds": round(typical["seconds"], 1),
                       f"{who}_cpu_seconds": round(typical["cpu_seconds"], 1),
                       f"{who}_peak_rss_mb": round(max(r["peak_rss_mb"] for r in done)),
                       f"{who}_runs_seconds": [round(r["seconds"], 1) for r in done]}
    if not skip_hand:
        result["ratio"] = round(result["certify_seconds"] / result["hand_seconds"], 2)
        result["ratio_cpu"] = round(result["certify_cpu_seconds"] / result["hand_cpu_seconds"], 2)
    result["load_after"] = os.getloadavg()[0]
    if not keep:
        shutil.rmtree(out / "project", ignore_errors=True)
        shutil.rmtree(out / "hand", ignore_errors=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--data", nargs="+", choices=list(DATASETS), default=list(DATASETS))
    parser.add_argument("--out", type=Path, default=Path("/tmp/datavet-bench-certify"))
    parser.add_argument("--runs", type=int, default=3, help="runs of each; the medians are reported")
    parser.add_argument("--keep", action="store_true", help="keep the registry and hand repository")
    parser.add_argument("--skip-hand", action="store_true", help="measure datavet certify only")
    args = parser.parse_args()
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    results = [bench(args.out / str(args.rows), args.rows, data, args.runs, args.skip_hand, args.keep)
               for data in args.data]
    print(json.dumps({"machine": machine(), "runs": results}, indent=1))


if __name__ == "__main__":
    main()
