"""What is inside one image: size, brightness, contrast, sharpness, colour, EXIF GPS and a pHash.

Computed from the one decode the file facts already do (datavet.sources.file_facts), so checking an
image's content costs no second read. Definitions (docs/checks.md, ``image_quality``):

- luma: Pillow's ``"L"`` conversion, ITU-R 601-2 (L = R*299/1000 + G*587/1000 + B*114/1000, in
  Pillow's integer arithmetic), 0..255, of the image as decoded (palette and alpha images are
  converted by Pillow; 16-bit and float modes are clipped by it to 0..255);
- ``luma_mean``: the mean of luma over all pixels; ``contrast``: its population standard deviation;
- ``sharpness``: the population variance of the 4-neighbour Laplacian (kernel 0 1 0 / 1 -4 1 / 0 1 0)
  of luma over the interior pixels only (no padding: the one-pixel border has no response); null
  for an image narrower or lower than 3 pixels;
- ``grayscale``: a single-channel image, or one whose every pixel has its R, G and B within
  ``GRAY_TOLERANCE`` of each other (JPEG's chroma rounding leaves gray photos a step or two off);
- ``exif_gps``: the image's EXIF has a non-empty GPS IFD (tag 0x8825): whether, never where;
- ``phash``: the 64-bit perceptual hash of the ``imagehash`` library (DCT of the 32x32 luma), 16 hex digits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

GRAY_TOLERANCE = 3
GPS_IFD = 0x8825
SINGLE_CHANNEL = {"1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "I;16N", "F", "La"}
IMAGE_COLUMNS = ["image_aspect", "image_luma_mean", "image_contrast", "image_sharpness", "image_grayscale",
                 "image_exif_gps", "image_phash"]


@dataclass(frozen=True)
class ImageFacts:
    aspect: float  # width / height
    luma_mean: float
    contrast: float
    sharpness: float | None
    grayscale: bool
    exif_gps: bool
    phash: str

    def row(self) -> tuple:
        """The values of ``IMAGE_COLUMNS``, in order (what the cache stores)."""
        return (self.aspect, self.luma_mean, self.contrast, self.sharpness, self.grayscale, self.exif_gps,
                self.phash)


def luma_moments(gray) -> tuple[float, float]:
    """(mean, population standard deviation) of an "L" image, from its 256-bin histogram: exact
    integer sums, so the figures do not depend on summation order."""
    h = np.asarray(gray.histogram(), dtype=np.int64)
    v = np.arange(256, dtype=np.int64)
    n, s1, s2 = int(h.sum()), int(h @ v), int(h @ (v * v))
    return s1 / n, math.sqrt(max(0, s2 * n - s1 * s1)) / n


def laplacian_variance(y: np.ndarray) -> float | None:
    """Population variance of the 4-neighbour Laplacian over the interior pixels (no padding), from
    exact integer sums (not a BLAS dot product: its threads crawl on a busy machine). ``y``: luma as
    integers 0..255, so |Laplacian| <= 1020 fits int16."""
    if y.shape[0] < 3 or y.shape[1] < 3:
        return None
    y = y.astype(np.int16)
    lap = y[:-2, 1:-1] + y[2:, 1:-1]
    lap += y[1:-1, :-2]
    lap += y[1:-1, 2:]
    lap -= 4 * y[1:-1, 1:-1]
    n, s1 = lap.size, int(lap.sum(dtype=np.int64))
    s2 = int(np.multiply(lap, lap, dtype=np.int32).sum(dtype=np.int64))  # squares <= 1,040,400 fit int32
    return (s2 * n - s1 * s1) / (n * n)


def is_grayscale(img) -> bool:
    """Single-channel, or R, G and B within GRAY_TOLERANCE everywhere (max - min of three values is
    their largest pairwise difference: three differences, computed by Pillow)."""
    from PIL import ImageChops

    if img.mode in SINGLE_CHANNEL:
        return True
    rgb = img if img.mode == "RGB" else img.convert("RGB")
    r, g, b = rgb.split()
    return all(ImageChops.difference(x, y).getextrema()[1] <= GRAY_TOLERANCE for x, y in ((r, g), (g, b), (r, b)))


def has_gps(img) -> bool:
    try:
        return bool(img.getexif().get_ifd(GPS_IFD))
    except Exception:  # a malformed EXIF block says nothing about the pixels: no GPS we can read
        return False


def image_facts(img) -> ImageFacts:
    """The facts of a decoded (``load()``-ed) Pillow image."""
    import imagehash

    gray = img if img.mode == "L" else img.convert("L")
    width, height = img.size
    mean, std = luma_moments(gray)
    return ImageFacts(aspect=width / height, luma_mean=mean, contrast=std,
                      sharpness=laplacian_variance(np.asarray(gray)), grayscale=is_grayscale(img),
                      exif_gps=has_gps(img), phash=str(imagehash.phash(gray)))
