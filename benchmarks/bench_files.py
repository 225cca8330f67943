"""Benchmark: certifying a tree of small images with datavet against doing it by hand.

    .venv/bin/python benchmarks/bench_files.py --files 100000 --out /tmp/datavet-bench-files

Writes ``--files`` small real PNG images (16x16, distinct pixels) under ``faces/<group>/`` and a
manifest CSV (file, gender, race), then times:

- **by hand**: a fresh git + DVC repository, ``dvc add`` of the tree, ``dvc push`` to a local remote,
  and a DuckDB audit of the manifest (counts by race, by gender and by both, and the rows whose file
  is absent), as one would script it;
- **datavet, first version**: ``datavet certify`` into a new registry (created untimed, as the
  hand's repository is): version (hash, decode and cache every file), checks, datasheet, push,
  commit and tag; a child process like a user's;
- **datavet, second version**: 1 % more files, certified again (only the new files are read and
  decoded; unchanged files are known by their state and content).

It prints the times and their ratios. Each run uses fresh folders under ``--out``.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_certify import REGISTRY  # noqa: E402

BIN = Path(sys.executable).parent
RACES = ["A", "B", "C", "D", "E"]


def png(seed: int) -> bytes:
    from PIL import Image

    rng = random.Random(seed)
    img = Image.frombytes("RGB", (16, 16), bytes(rng.randrange(256) for _ in range(16 * 16 * 3)))
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def write_files(root: Path, start: int, stop: int) -> list[str]:
    rows = []
    for i in range(start, stop):
        race, gender = RACES[i % 5], "F" if i % 3 else "M"
        rel = f"faces/{race}/{i:07d}.png"
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(png(i))
        rows.append(f"{rel},{gender},{race}\n")
    return rows


def write_manifest(path: Path, rows: list[str]) -> None:
    path.write_text("file,gender,race\n" + "".join(rows))


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return time.perf_counter() - start


def by_hand(data: Path, manifest: Path, work: Path) -> float:
    """dvc add + dvc push of the tree, and the manifest's audit in DuckDB."""
    repo = work / "hand"
    repo.mkdir(parents=True)
    shutil.copytree(data / "faces", repo / "faces")  # dvc add works inside its repository (not timed)
    env = {**os.environ, "DVC_NO_ANALYTICS": "1"}
    dvc = [sys.executable, "-m", "dvc"]
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run([*dvc, "init", "-q"], cwd=repo, check=True, env=env)
    subprocess.run([*dvc, "remote", "add", "-d", "storage", str(work / "hand-remote")], cwd=repo, check=True,
                   env=env)
    start = time.perf_counter()
    run([*dvc, "add", "-q", "faces"], repo, env)
    run([*dvc, "push", "-q"], repo, env)
    import duckdb

    con = duckdb.connect()
    con.execute(f"CREATE VIEW m AS SELECT * FROM read_csv('{manifest}', header=true, all_varchar=true)")
    for query in ("SELECT race, count(*) FROM m GROUP BY ALL", "SELECT gender, count(*) FROM m GROUP BY ALL",
                  "SELECT race, gender, count(*) FROM m GROUP BY ALL"):
        con.execute(query).fetchall()
    present = {p.relative_to(repo).as_posix() for p in (repo / "faces").rglob("*.png")}
    files = [r[0] for r in con.execute("SELECT file FROM m").fetchall()]
    _ = [f for f in files if f not in present]
    return time.perf_counter() - start


def spec(data: Path, manifest: Path) -> dict:
    return {"name": "bench_files", "title": "synthetic images", "owner": "bench", "license": "CC0-1.0",
            "source": {"files": {"root": str(data), "include": ["faces/**/*.png"]},
                       "manifest": {"path": str(manifest), "file_column": "file"}},
            "columns": {"race": {"role": "protected"}, "gender": {"role": "protected"}},
            "checks": {"files": {"severity": "warning"},
                       "representation": [{"column": "race", "min_count": 10}, {"column": "gender"}],
                       "intersectional": [{"columns": ["race", "gender"], "min_count": 10}]}}


def certify(project: Path) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATAVET")}
    env.update(DATAVET_PROJECT=str(project), DATAVET_HOME=str(project / ".datavet"), DVC_NO_ANALYTICS="1")
    subprocess.run([sys.executable, "-c", REGISTRY], env=env, cwd=project, check=True)  # set-up, not timed
    return run([str(BIN / "datavet"), "certify", "datasheets/bench_files/dataset.yaml"], project, env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--out", type=Path, default=Path("/tmp/datavet-bench-files"))
    parser.add_argument("--reuse", action="store_true", help="keep the files an earlier run wrote under --out")
    args = parser.parse_args()
    data, project, manifest = args.out / "data", args.out / "project", args.out / "manifest.csv"
    if args.reuse and manifest.is_file():
        rows = manifest.read_text().splitlines(keepends=True)[1:args.files + 1]
        write_manifest(manifest, rows)
        for extra in sorted((data / "faces").rglob("*.png")):
            if int(extra.stem) >= args.files:
                extra.unlink()
        for folder in ("hand", "hand-remote", "project"):
            shutil.rmtree(args.out / folder, ignore_errors=True)
    else:
        shutil.rmtree(args.out, ignore_errors=True)
        start = time.perf_counter()
        rows = write_files(data, 0, args.files)
        write_manifest(manifest, rows)
        print(f"wrote {args.files:,} PNG files in {time.perf_counter() - start:.1f} s")

    hand = by_hand(data, manifest, args.out)
    folder = project / "datasheets" / "bench_files"
    folder.mkdir(parents=True)
    (folder / "dataset.yaml").write_text(yaml.safe_dump(spec(data, manifest), sort_keys=False))
    from datavet.datasheet import PROMPT_IDS

    answers = {pid: {"answer": f"Synthetic benchmark data ({pid})."} for pid in PROMPT_IDS}
    (folder / "answers.yaml").write_text(yaml.safe_dump({"dataset": "bench_files", "attested_by": "bench",
                                                         "attested_on": "2026-01-01", "answers": answers}))
    (project / "expectations").mkdir()
    first = certify(project)
    added = max(1, args.files // 100)
    write_manifest(manifest, rows + write_files(data, args.files, args.files + added))
    second = certify(project)
    print(f"{'files':>10} {'by hand (dvc add+push, DuckDB)':>32} {'datavet v1':>12} {'ratio':>7} "
          f"{'datavet v2 (+1 %)':>18} {'v2/v1':>6}")
    print(f"{args.files:>10,} {hand:>30.1f} s {first:>10.1f} s {first / hand:>6.2f}x {second:>16.1f} s "
          f"{second / first:>6.2f}")


if __name__ == "__main__":
    main()
