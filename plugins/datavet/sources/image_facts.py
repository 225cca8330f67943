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
  axis that keeps at least ``PHASH_KEEP`` pixels: ``imagehash.phash(gray.reduce(f))``. The LANCZOS
  resize of a whole 224x224 face costs more than its decode; reducing first makes it a fraction of
  that. On the 5,000 FairFace faces 93 % of the hashes equal ``imagehash.phash(gray)`` and the rest
  differ in 2 (rarely 4) bits, the same near copies are found (resized to 90 %: at most 2 bits from
  the original with either hash) and no distinct pair comes closer (docs/checks.md, `image_quality`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

GRAY_TOLERANCE = 3
PHASH_KEEP = 96  # pixels per axis left by the box reduce before the pHash's LANCZOS resize to 32
STRIP = 60_000  # pixels per strip of the Laplacian: its int16 temporaries stay under 128 KiB
PROBE = 16  # pixels per axis of the nearest-neighbour sample that usually proves an image in colour
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
    integers 0..255, so |Laplacian| <= 1020 fits int16 and the sums are exact in int64. Done in
    strips of rows whose temporaries stay under glibc's mmap threshold (128 KiB): a larger one is
    mapped and unmapped at every call, and its page faults cost more than the arithmetic."""
    height, width = y.shape
    if height < 3 or width < 3:
        return None
    step = max(1, STRIP // width)
    s1 = s2 = 0
    for top in range(1, height - 1, step):
        block = y[top - 1:min(height, top + step + 1)].astype(np.int16)
        lap = block[:-2, 1:-1] + block[2:, 1:-1]
        lap += block[1:-1, :-2]
        lap += block[1:-1, 2:]
        lap -= 4 * block[1:-1, 1:-1]
        s1 += int(lap.sum(dtype=np.int64))
        s2 += int(np.einsum("ij,ij->", lap, lap, dtype=np.int64))  # no int32 temporary of squares
    n = (height - 2) * (width - 2)
    return (s2 * n - s1 * s1) / (n * n)


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


def phash(gray) -> str:
    """``imagehash.phash(gray.reduce(f))`` (module docstring) without its second conversion to "L",
    its two full 32x32 DCTs (the 8x8 lowest frequencies are two small matrix products) and its
    bit-by-bit hex formatting. The products differ from scipy's FFT in the last bits (a flat image's
    zero coefficients come out as 1e-13, not 0): rounded to 1e-6 they are scipy's again (coefficients
    of 8-bit pixels that differ, differ by far more); on the 5,000 FairFace faces and flat images
    every hash equals imagehash's."""
    from PIL import Image

    width, height = gray.size
    factor = (max(1, width // PHASH_KEEP), max(1, height // PHASH_KEEP))
    small = gray.reduce(factor) if factor != (1, 1) else gray
    pixels = np.asarray(small.resize((32, 32), Image.Resampling.LANCZOS), dtype=np.float64)
    low = np.round(DCT8 @ pixels @ DCT8.T, 6)
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
