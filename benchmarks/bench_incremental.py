"""Benchmark: certifying a partitioned source again after one partition was added.

    .venv/bin/python benchmarks/bench_incremental.py --rows 10000000 --out /tmp/datavet-bench-incremental

Writes ``bench_checks.py``'s synthetic people-dataset (16 columns) as a Hive directory of
``--partitions`` Parquet partitions (``day=0`` ... ``day=19``, one file each), with the spec of
``bench_certify.py`` plus ``source.partitioned: true``, and measures, each as a child process from
start-up to exit (wall seconds, CPU seconds, peak RSS):

1. ``datavet certify`` of the directory (a new registry, created before the clock starts);
2. one more partition (5 % more rows) is added, and ``datavet certify`` again in the same registry;
3. the full recount: the final directory certified in a fresh registry as one Parquet version on DuckDB
   (``partitioned`` off: one scan of every row, nothing cached), not timed against the target.

Prints the seconds of 1 and 2, their ratio (issue 25's target: at most 0.15), and whether every
figure of the incremental certification (each check's observed values and failures, the datasheet's
profile) equals the full recount's, as JSON with the machine and its load average.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_certify import REGISTRY, answers, measure, warnings_only  # noqa: E402
from bench_checks import GENERATE, SPEC, machine  # noqa: E402


def write_partition(lake: Path, day: int, first: int, rows: int) -> None:
    """Rows ``first`` .. ``first + rows`` of the synthetic data as partition ``day=<day>``."""
    import duckdb

    folder = lake / f"day={day}"
    folder.mkdir(parents=True, exist_ok=True)
    select = GENERATE.replace("FROM range({rows}) t(i)", f"FROM range({first}, {first + rows}) t(i)")
    duckdb.sql(select.format(rows=rows, path=folder / "part-0.parquet"))


def generate(out: Path, rows: int, partitions: int) -> Path:
    """The lake before the new partition (written once per row count)."""
    lake = out / "lake"
    if not (lake / ".complete").exists():
        shutil.rmtree(lake, ignore_errors=True)
        each = rows // partitions
        for day in range(partitions):
            write_partition(lake, day, day * each, each)
        (lake / ".complete").write_text("")
    return lake


def project(out: Path, name: str, source: dict) -> tuple[Path, dict[str, str]]:
    """A project whose spec reads ``source``, with its registry created (set-up, not timed)."""
    root = out / name
    shutil.rmtree(root, ignore_errors=True)
    spec_path = root / "datasheets" / "bench" / "dataset.yaml"
    spec_path.parent.mkdir(parents=True)
    spec_path.write_text(yaml.safe_dump({**warnings_only(SPEC), "source": source}, sort_keys=False))
    (spec_path.parent / "answers.yaml").write_text(yaml.safe_dump(answers("bench"), sort_keys=False))
    env = {**os.environ, "DATAVET_PROJECT": str(root), "DATAVET_HOME": str(root / ".datavet")}
    subprocess.run([sys.executable, "-c", REGISTRY], env=env, cwd=root, check=True)
    return spec_path, env


def certify(spec_path: Path, env: dict[str, str]) -> dict:
    cli = Path(sys.executable).parent / "datavet"
    return measure([str(cli), "certify", str(spec_path)], env, spec_path.parents[2])


def figures(env: dict[str, str]) -> dict:
    """The newest certification's figures: every check's outcome and the datasheet's profile."""
    registry = Path(env["DATAVET_HOME"]) / "registry"
    tag = subprocess.run(["git", "tag", "--list", "bench/certified/*", "--sort=-v:refname"], cwd=registry,
                         capture_output=True, text=True, check=True).stdout.split()[0]

    def show(rel: str) -> dict:
        return json.loads(subprocess.run(["git", "show", f"{tag}:{rel}"], cwd=registry, capture_output=True,
                                         check=True).stdout)

    cert = show(f"certificates/bench/{_md5(registry, tag)}.json")
    report = show(f"validations/bench/{cert['md5']}.json")
    sheet = show("datasheets/bench/datasheet.json")
    checks = sorted(json.dumps({k: c.get(k) for k in ("check", "column", "columns", "by", "success", "observed",
                                                      "failures")}, sort_keys=True, default=str)
                    for c in report["checks"])
    return {"rows": cert["rows"], "checks": checks, "computed": sheet["computed"]}


def _md5(registry: Path, tag: str) -> str:
    listed = subprocess.run(["git", "ls-tree", "--name-only", tag, "certificates/bench/"], cwd=registry,
                            capture_output=True, text=True, check=True).stdout.split()
    names = [Path(p).name for p in listed if p.endswith(".json") and not p.endswith(".intoto.json")]
    text = subprocess.run(["git", "show", f"{tag}:data/bench/bench.dvc"], cwd=registry, capture_output=True,
                          text=True).stdout or subprocess.run(["git", "show", f"{tag}:data/bench/bench.parquet.dvc"],
                                                               cwd=registry, capture_output=True, text=True).stdout
    md5 = yaml.safe_load(text)["outs"][0]["md5"]
    assert f"{md5}.json" in names, (md5, names)
    return md5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--partitions", type=int, default=20)
    parser.add_argument("--out", type=Path, default=Path("/tmp/datavet-bench-incremental"))
    parser.add_argument("--engine", default="duckdb", choices=["duckdb", "spark"],
                        help="engine of the two timed certifications (spark: local mode, the executors write "
                             "the parts); the full recount stays on DuckDB, so the figures are compared across")
    args = parser.parse_args()
    out = args.out / str(args.rows)
    out.mkdir(parents=True, exist_ok=True)
    lake = generate(out, args.rows, args.partitions)
    source = out / "source"
    shutil.rmtree(source, ignore_errors=True)
    shutil.copytree(lake, source)
    result: dict = {"machine": machine(), "rows": args.rows, "partitions": args.partitions, "engine": args.engine,
                    "load_before": os.getloadavg()[0]}
    spec_path, env = project(out, "incremental", {"path": str(source), "partitioned": True})
    env["DATAVET_ENGINE"] = args.engine
    result["first"] = certify(spec_path, env)
    added = args.rows // 20  # +5 % rows, as one new partition
    write_partition(source, args.partitions, args.rows, added)
    result["second"] = certify(spec_path, env)
    result["ratio"] = round(result["second"]["seconds"] / result["first"]["seconds"], 3)
    result["load_after_second"] = os.getloadavg()[0]
    print(json.dumps(result), flush=True)
    recount_path, recount_env = project(out, "recount", {"path": str(source)})
    recount_env["DATAVET_ENGINE"] = "duckdb"
    result["full_recount"] = certify(recount_path, recount_env)
    warm, cold = figures(env), figures(recount_env)
    result["figures_equal"] = warm == cold
    if warm != cold:
        result["differences"] = {k: [warm[k], cold[k]] for k in warm if warm[k] != cold[k]}
    result["load_after"] = os.getloadavg()[0]
    print(json.dumps(result, default=str), flush=True)


if __name__ == "__main__":
    main()
