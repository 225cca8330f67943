"""Benchmark: image facts (datavet.sources.image_facts) against decoding the same images once with Pillow.

    .venv/bin/python benchmarks/bench_image_facts.py --images 100000

Cycles through the FairFace validation JPEGs in ../shared/data (224x224 faces) until ``--images``
files were processed, and prints four times: decoding each image once with Pillow, in one process
and in a pool of ``--workers`` processes (default: every core), and the image facts
(``datavet.sources.file_facts.compute_many``, which decodes too) the same two ways; then the ratios
of facts to decode, process for process. The issue's target is 1.5x of one decode on the same cores.
On a shared machine wall seconds swing with the others' load: the one-process runs also print CPU
seconds (``time.process_time``), which do not.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import time
from pathlib import Path

from PIL import Image

from datavet.sources.file_facts import CHUNK, compute_many

FAIRFACE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "fairface" / "val"


def decode(path: str) -> None:
    with Image.open(path) as img:
        img.load()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=5000)
    parser.add_argument("--root", type=Path, default=FAIRFACE)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    files = sorted(args.root.glob("*.jpg"))
    paths = [str(files[i % len(files)]) for i in range(args.images)]
    times, cpu = {}, {}
    start, start_cpu = time.perf_counter(), time.process_time()
    for path in paths:
        decode(path)
    times["decode, 1 process"], cpu["decode"] = time.perf_counter() - start, time.process_time() - start_cpu
    start, start_cpu = time.perf_counter(), time.process_time()
    for _ in compute_many([(p, ".jpg") for p in paths], workers=1):
        pass
    times["facts, 1 process"], cpu["facts"] = time.perf_counter() - start, time.process_time() - start_cpu
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["datavet.sources.file_facts"])
    start = time.perf_counter()
    with context.Pool(args.workers) as pool:
        for _ in pool.imap(decode, paths, chunksize=CHUNK):
            pass
    times[f"decode, {args.workers} processes"] = time.perf_counter() - start
    start = time.perf_counter()
    for _ in compute_many([(p, ".jpg") for p in paths], workers=args.workers):
        pass
    times[f"facts, {args.workers} processes"] = time.perf_counter() - start
    for name, seconds in times.items():
        print(f"{args.images} images: {name}: {seconds:.2f} s")
    print(f"one process, CPU seconds: decode {cpu['decode']:.2f} s, facts {cpu['facts']:.2f} s, "
          f"ratio {cpu['facts'] / cpu['decode']:.2f}x")
    serial, pooled = list(times.values())[:2], list(times.values())[2:]
    print(f"ratio facts / decode: 1 process {serial[1] / serial[0]:.2f}x, {args.workers} processes "
          f"{pooled[1] / pooled[0]:.2f}x; facts on {args.workers} processes / decode on 1: "
          f"{pooled[1] / serial[0]:.2f}x")


if __name__ == "__main__":
    main()
