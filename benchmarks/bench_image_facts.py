"""Benchmark: image facts (datavet.sources.image_facts) against decoding the same images once with Pillow.

    .venv/bin/python benchmarks/bench_image_facts.py --images 100000

Cycles through the FairFace validation JPEGs in ../shared/data (224x224 faces) until ``--images``
files were processed, in one process (the facts run one file at a time, as the files source does),
and prints both times and their ratio. The issue's target is 1.5x; the pHash (a LANCZOS resize to
32x32 and a 2-D DCT in imagehash) alone costs about as much as decoding a 224x224 JPEG, so small
images sit well above it; the ratio falls as images grow (decoding grows with the pixels, the pHash
does not).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from PIL import Image

from datavet.sources.file_facts import compute_facts

FAIRFACE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "fairface" / "val"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=5000)
    parser.add_argument("--root", type=Path, default=FAIRFACE)
    args = parser.parse_args()
    files = sorted(args.root.glob("*.jpg"))
    paths = [files[i % len(files)] for i in range(args.images)]
    start = time.perf_counter()
    for path in paths:
        with Image.open(path) as img:
            img.load()
    decode = time.perf_counter() - start
    start = time.perf_counter()
    for path in paths:
        compute_facts(path, ".jpg")
    facts = time.perf_counter() - start
    print(f"{args.images} images: decode once {decode:.2f} s, facts {facts:.2f} s, ratio {facts / decode:.2f}x")


if __name__ == "__main__":
    main()
