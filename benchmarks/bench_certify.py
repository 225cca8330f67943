"""Benchmark: `datavet certify` of a CSV source against the same work done by hand.

    .venv/bin/python benchmarks/bench_certify.py --rows 10000000 --out /tmp/datavet-bench-certify

Writes the synthetic people-dataset of ``bench_checks.py`` (16 columns) as a CSV file and a spec
with its ~34 checks and a complete answers file, then measures two child processes, each from
start-up to exit (wall time and peak RSS of the process tree):

* ``datavet certify SPEC`` on a new registry (created before the clock starts, as the hand's
  repository is): version (CSV -> Parquet, DVC cache), validate (GX on DuckDB), document
  (datasheet), certify (push to the local DVC remote, git commit and tag);
* the same work by hand: DuckDB reads the CSV into Parquet, ``dvc add`` in a fresh git + DVC
  repository, and the audit as ``bench_checks.py``'s hand-written DuckDB queries.

Prints both, their ratio and the machine as JSON.
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
    print(json.dumps({"returncode": proc.returncode, "seconds": time.perf_counter() - start,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
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


def generate(out: Path, rows: int) -> Path:
    """The benchmark's people-dataset as CSV (written once per row count)."""
    import duckdb

    path = out / "bench.csv"
    if not path.exists():
        tmp = out / "bench.csv.tmp"
        duckdb.sql(GENERATE.format(rows=rows, path=tmp).replace("FORMAT parquet, COMPRESSION zstd", "FORMAT csv"))
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
        for check in checks[kind]:
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


def datavet_certify(out: Path, csv: Path) -> dict:
    project = out / "project"
    shutil.rmtree(project, ignore_errors=True)
    spec_path = project / "datasheets" / "bench" / "dataset.yaml"
    spec_path.parent.mkdir(parents=True)
    spec_path.write_text(yaml.safe_dump({**warnings_only(SPEC), "source": {"path": str(csv)}}, sort_keys=False))
    (spec_path.parent / "answers.yaml").write_text(yaml.safe_dump(answers("bench"), sort_keys=False))
    env = {**os.environ, "DATAVET_PROJECT": str(project), "DATAVET_HOME": str(project / ".datavet")}
    subprocess.run([sys.executable, "-c", REGISTRY], env=env, cwd=project, check=True)  # set-up, not timed
    cli = Path(sys.executable).parent / "datavet"
    return measure([str(cli), "certify", str(spec_path)], env, project)


def by_hand(out: Path, csv: Path) -> dict:
    repo = out / "hand"
    shutil.rmtree(repo, ignore_errors=True)
    repo.mkdir()
    for cmd in (["git", "init", "-q"], ["dvc", "init", "-q"]):  # set-up, not timed
        subprocess.run(cmd, cwd=repo, check=True)
    audit = BASELINE.format(values=SCAN_VALUES, missing_by=SCAN_MISSING_BY)
    return measure([sys.executable, "-c", HAND, str(csv), str(repo), audit], dict(os.environ), repo)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--out", type=Path, default=Path("/tmp/datavet-bench-certify"))
    parser.add_argument("--keep", action="store_true", help="keep the registry and hand repository")
    parser.add_argument("--skip-hand", action="store_true", help="measure datavet certify only")
    args = parser.parse_args()
    out = args.out / str(args.rows)
    out.mkdir(parents=True, exist_ok=True)
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    csv = generate(out, args.rows)
    result = {"machine": machine(), "rows": args.rows, "csv_mb": round(csv.stat().st_size / 2**20)}
    if not args.skip_hand:
        hand = by_hand(out, csv)
        result |= {"hand_seconds": round(hand["seconds"], 1), "hand_peak_rss_mb": round(hand["peak_rss_mb"])}
    certify = datavet_certify(out, csv)
    result |= {"certify_seconds": round(certify["seconds"], 1), "certify_peak_rss_mb": round(certify["peak_rss_mb"])}
    if not args.skip_hand:
        result["ratio"] = round(certify["seconds"] / result["hand_seconds"], 2)
    if not args.keep:
        shutil.rmtree(out / "project", ignore_errors=True)
        shutil.rmtree(out / "hand", ignore_errors=True)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
