"""FairFace in a throw-away project, and image facts computed independently of datavet (ITU-R 601 by
its integer formula on the RGB pixels, scipy's convolution for the Laplacian, pandas for group means)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from scipy.signal import convolve2d

from datavet.sources.image_facts import GRAY_TOLERANCE
from tests.conftest import SHARED_DATA
from tests.files.conftest import FilesProject

FAIRFACE = SHARED_DATA / "fairface" / "val"
MANIFEST = SHARED_DATA / "fairface_label_val.csv"


def pillow_601(rgb: np.ndarray) -> np.ndarray:
    """Pillow's "L" conversion of 8-bit RGB: (R*19595 + G*38470 + B*7471 + 0x8000) >> 16 (ITU-R 601-2)."""
    r, g, b = (rgb[..., i].astype(np.int64) for i in range(3))
    return ((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16).astype(np.float64)


def independent(path: Path) -> dict:
    with Image.open(path) as img:
        rgb = np.asarray(img.convert("RGB"))
    y = pillow_601(rgb)
    lap = convolve2d(y, np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]]), mode="valid")
    spread = int((rgb.max(axis=2).astype(int) - rgb.min(axis=2)).max())
    return {"luma_mean": y.sum() / y.size, "contrast": np.sqrt(((y - y.mean()) ** 2).mean()),
            "sharpness": ((lap - lap.mean()) ** 2).mean(), "grayscale": spread <= GRAY_TOLERANCE}


def fairface_project(root: Path, include: list[str], checks: dict[str, Any], *, files_root: Path = SHARED_DATA,
                     manifest: Path = MANIFEST, name: str = "faces", **extra: Any) -> FilesProject:
    """A project whose spec reads FairFace images (``include`` under ``files_root``) with its manifest;
    ``extra``: more top-level spec keys."""
    project = FilesProject(root, name)
    project.write_spec({
        "name": name, "title": "FairFace faces", "owner": "qa@example.org", "license": "CC-BY-4.0",
        "source": {"files": {"root": str(files_root), "include": include},
                   "manifest": {"path": str(manifest), "file_column": "file"}},
        "columns": {"race": {"role": "protected"}, "gender": {"role": "protected"}, "age": {"role": "protected"}},
        "checks": checks, **extra})
    return project
