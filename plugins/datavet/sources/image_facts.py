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
- ``phash``: the 64-bit perceptual hash of the ``imagehash`` library (the signs against their median
  of the 8x8 lowest frequencies of the DCT of a 32x32 LANCZOS resize of luma), 16 hex digits, of the
  luma image first reduced by Pillow's ``reduce`` (a box average) by the largest integer factor per
  axis that keeps at least ``PHASH_KEEP`` pixels, and with the LANCZOS resize not rounded to 8 bits:
  imagehash's algorithm on ``gray.reduce(f).convert("F").resize((32, 32), LANCZOS)``. Reducing first
  and resizing by a matrix product make the hash a fraction of a decode (Pillow's resize of the whole
  face alone cost more than the decode). On the 5,000 FairFace faces the same near copies are found
  as with ``imagehash.phash(gray)`` (resized to 90 % or re-encoded at JPEG quality 70: at most 2 bits
  from the original) and no distinct pair comes closer (docs/checks.md, `image_quality`).
"""

from __future__ import annotations

import functools
import math
import threading
from dataclasses import dataclass

import numpy as np

GRAY_TOLERANCE = 3
PHASH_KEEP = 96  # pixels per axis left by the box reduce before the pHash's LANCZOS resize to 32
STRIP = 1 << 18  # pixels per strip of the Laplacian: its work arrays are kept, about 2.5 MiB
PROBE = 16  # pixels per axis of the nearest-neighbour sample that usually proves an image in colour
GPS_IFD = 0x8825
SINGLE_CHANNEL = {"1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "I;16N", "F", "La"}
POWERS = np.stack([np.arange(256), np.arange(256) ** 2]).astype(np.int64)  # luma and luma squared, per bin
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
    h = np.array(gray.histogram(), dtype=np.int64)
    n = int(h.sum())
    s1, s2 = (int(s) for s in POWERS @ h)  # integer matmul: no BLAS, exact
    return s1 / n, math.sqrt(max(0, s2 * n - s1 * s1)) / n


def laplacian_variance(y: np.ndarray) -> float | None:
    """Population variance of the 4-neighbour Laplacian over the interior pixels (no padding), from
    exact integer sums: ``y`` is luma as integers 0..255, so |Laplacian| <= 1020 fits int16 and its
    square int32. Few numpy calls (each costs more than the arithmetic of a small image): the sum of
    the Laplacian telescopes to the image's outer rings (``_laplacian_sum``); its sum of squares needs
    the Laplacian itself, computed on the flattened rows (one contiguous pass per term, not one per
    row), whose first and last columns wrap around and are zeroed. In strips of ``STRIP`` pixels, in
    buffers this thread keeps (``_buffers``): allocating them per image, the page faults of freshly
    mapped memory cost more than the arithmetic."""
    height, width = y.shape
    if height < 3 or width < 3:
        return None
    y = np.ascontiguousarray(y)
    step = max(1, STRIP // width)
    s2 = 0
    for top in range(1, height - 1, step):
        rows = y[top - 1:min(height, top + step + 1)]
        size = (rows.shape[0] - 2) * width  # the centres: every column of the strip's inner rows
        flat, lap, centre, squares = _buffers(rows.size, size)
        np.copyto(flat, rows.reshape(-1))
        np.add(flat[:size], flat[2 * width:], out=lap)
        lap += flat[width - 1:width - 1 + size]
        lap += flat[width + 1:width + 1 + size]
        np.left_shift(flat[width:width + size], 2, out=centre)
        lap -= centre
        lap.reshape(-1, width)[:, ::width - 1] = 0  # columns 0 and width - 1: wrapped around
        np.square(lap, out=squares, dtype=np.int32)  # in int32: an int16 square would overflow
        s2 += int(squares.sum(dtype=np.int64))
    s1 = _laplacian_sum(y)
    n = (height - 2) * (width - 2)
    return (s2 * n - s1 * s1) / (n * n)


_kept = threading.local()


def _buffers(pixels: int, centres: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Views of this thread's work arrays: the strip as int16, the Laplacian and four times the
    centre (int16), the squares (int32). Grown when a strip needs more; at most about
    ``STRIP + 2 * width`` pixels each."""
    kept = getattr(_kept, "arrays", None)
    if kept is None or kept[0].size < pixels:
        kept = _kept.arrays = (np.empty(pixels, np.int16), np.empty(pixels, np.int16),
                               np.empty(pixels, np.int16), np.empty(pixels, np.int32))
    return kept[0][:pixels], kept[1][:centres], kept[2][:centres], kept[3][:centres]


def _laplacian_sum(y: np.ndarray) -> int:
    """The sum of the interior Laplacian without computing it: summed over the interior, each
    neighbour term minus the centre telescopes to two rows (or columns) of the image, e.g. north
    minus centre to row 0 minus row height - 2 (over the interior columns)."""
    rows = y[[0, -1, 1, -2], 1:-1].sum(axis=1, dtype=np.int64)
    cols = y[1:-1, [0, -1, 1, -2]].sum(axis=0, dtype=np.int64)
    return int(rows[0] + rows[1] - rows[2] - rows[3] + cols[0] + cols[1] - cols[2] - cols[3])


def is_grayscale(img) -> bool:
    """Single-channel, or R, G and B within GRAY_TOLERANCE everywhere. A nearest-neighbour sample
    holds real pixels, so one of its pixels out of tolerance proves colour without the full scan
    (which a gray photo still gets)."""
    from PIL import Image

    if img.mode in SINGLE_CHANNEL:
        return True
    rgb = img if img.mode == "RGB" else img.convert("RGB")
    width, height = rgb.size
    probe = rgb.resize((min(width, PROBE), min(height, PROBE)), Image.Resampling.NEAREST)
    return _rgb_within_tolerance(probe) and _rgb_within_tolerance(rgb)


def _rgb_within_tolerance(rgb) -> bool:
    """max - min of three values is their largest pairwise difference: three differences, by Pillow."""
    from PIL import ImageChops

    r, g, b = rgb.split()
    return all(ImageChops.difference(x, y).getextrema()[1] <= GRAY_TOLERANCE for x, y in ((r, g), (g, b), (r, b)))


def _dct_rows(n: int, k: int) -> np.ndarray:
    """The first ``k`` rows of scipy's unnormalised DCT-II of length ``n`` as a matrix:
    2 cos(pi k (2i + 1) / 2n)."""
    i = np.arange(n)
    return 2 * np.cos(np.pi * np.arange(k)[:, None] * (2 * i[None, :] + 1) / (2 * n))


DCT8 = _dct_rows(32, 8)


@functools.lru_cache(maxsize=256)
def lanczos_dct(size: int) -> np.ndarray:
    """``DCT8`` times Pillow's LANCZOS resize of ``size`` samples to 32 as a matrix (8 x size): the
    weights of Pillow's resample (a = 3, the support widened by the scale when shrinking, each row
    normalised to sum 1) in float64, without the 8-bit rounding of Pillow's output."""
    scale = size / 32
    stretch = max(scale, 1.0)
    weights = np.zeros((32, size))
    for out in range(32):
        centre = (out + 0.5) * scale
        lo, hi = max(int(centre - 3 * stretch + 0.5), 0), min(int(centre + 3 * stretch + 0.5), size)
        x = (np.arange(lo, hi) + 0.5 - centre) / stretch
        k = np.sinc(x) * np.sinc(x / 3) * (np.abs(x) < 3)
        weights[out, lo:hi] = k / k.sum()
    return DCT8 @ weights


def phash(gray) -> str:
    """imagehash's pHash (module docstring) of the box-reduced luma, its LANCZOS resize and its
    two DCTs folded into two small matrix products (``lanczos_dct``): Pillow's resample of a
    112x112 face alone cost about half a decode (a convolution per pixel in C, its weights
    recomputed at every call). Rounded to 1e-6 the products are exact where a flat image's zero
    coefficients would otherwise come out as 1e-13 (coefficients of 8-bit pixels that differ,
    differ by far more)."""
    width, height = gray.size
    factor = (max(1, width // PHASH_KEEP), max(1, height // PHASH_KEEP))
    small = gray.reduce(factor) if factor != (1, 1) else gray
    pixels = np.asarray(small, dtype=np.float64)
    low = np.round(lanczos_dct(small.size[1]) @ pixels @ lanczos_dct(small.size[0]).T, 6)
    ordered = np.sort(low, axis=None)
    bits = low > (ordered[31] + ordered[32]) / 2  # numpy's median of 64 values
    return np.packbits(bits.ravel()).tobytes().hex()


def has_gps(img) -> bool:
    try:
        return bool(img.getexif().get_ifd(GPS_IFD))
    except Exception:  # a malformed EXIF block says nothing about the pixels: no GPS we can read
        return False


def image_facts(img) -> ImageFacts:
    """The facts of a decoded (``load()``-ed) Pillow image: one conversion to luma serves every figure."""
    gray = img if img.mode == "L" else img.convert("L")
    width, height = img.size
    mean, std = luma_moments(gray)
    return ImageFacts(aspect=width / height, luma_mean=mean, contrast=std,
                      sharpness=laplacian_variance(np.asarray(gray)), grayscale=is_grayscale(img),
                      exif_gps=has_gps(img), phash=phash(gray))
