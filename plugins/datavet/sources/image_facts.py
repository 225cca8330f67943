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

Luma stays Pillow's (OpenCV's RGB-to-gray rounds differently); its sums, the Laplacian and the
pHash's halving are OpenCV's (imported on first use), each equal to the integer arithmetic it
replaces (tests/images/test_image_facts.py, on all 5,000 faces).
"""

from __future__ import annotations

import contextlib
import functools
import math
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

GRAY_TOLERANCE = 3
PHASH_KEEP = 96  # pixels per axis left by the box reduce before the pHash's LANCZOS resize to 32
STRIP = 1 << 18  # pixels per strip of the Laplacian: an int16 array of about 0.5 MiB at a time
PROBE = 16  # pixels per axis of the grid whose pixels usually prove an image in colour
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


def _cv2():
    """OpenCV, imported on first use: ``datavet.sources.file_facts`` (and through it this module) is
    imported by every files source and by the fork server's preload, which need none of it."""
    import cv2

    return cv2


@contextlib.contextmanager
def ipp_off(cv2) -> Iterator[None]:
    """OpenCV's Intel IPP branch (on in the x86 wheels) switched off for this thread (OpenCV keeps
    the switch per thread) and back as it was: its norm takes the square root of a sum of squares
    and squares it again, off in the 8th digit."""
    was = cv2.ipp.useIPP()
    cv2.ipp.setUseIPP(False)
    try:
        yield
    finally:
        cv2.ipp.setUseIPP(was)


def _sums(cv2, a: np.ndarray) -> tuple[int, int]:
    """``integer_sums`` with IPP already off (``ipp_off``)."""
    return int(cv2.sumElems(a)[0]), int(cv2.norm(a, cv2.NORM_L2SQR))


def integer_sums(cv2, a: np.ndarray) -> tuple[int, int]:
    """(sum, sum of squares) of an 8- or 16-bit integer array, exactly. OpenCV's own code sums
    8-bit squares in integer blocks and 16-bit ones as integers added in double: exact below 2**53, far
    above any image Pillow opens (an 8000x8000 white image's sum of squares is 4.2e12); IPP's is not
    (``ipp_off``)."""
    with ipp_off(cv2):
        return _sums(cv2, a)


def _moments(cv2, y: np.ndarray) -> tuple[float, float]:
    n = y.size
    s1, s2 = _sums(cv2, y)
    return s1 / n, math.sqrt(max(0, s2 * n - s1 * s1)) / n


def luma_moments(y: np.ndarray) -> tuple[float, float]:
    """(mean, population standard deviation) of luma ``y`` (uint8) from exact integer sums
    (``integer_sums``), so the figures do not depend on summation order."""
    cv2 = _cv2()
    with ipp_off(cv2):
        return _moments(cv2, y)


def _laplacian(cv2, y: np.ndarray) -> float | None:
    """``laplacian_variance`` with IPP already off. The interior Laplacian of each strip as sums of
    shifted views, in int16 into kept arrays: up + down + left + right - 2 centre - 2 centre (a
    face about 25 us against 30 for OpenCV's 3x3 filter, which multiplies in float)."""
    height, width = y.shape
    if height < 3 or width < 3:
        return None
    step = max(1, STRIP // width)
    shape = (min(height - 2, step), width - 2)
    acc, other, twice = (_kept(name, shape, np.int16) for name in ("lap", "lap_other", "lap_centre"))
    s1 = s2 = 0
    for top in range(1, height - 1, step):
        bottom = min(height - 1, top + step)  # interior rows top .. bottom - 1
        rows = bottom - top
        lap, tmp, centre2 = acc[:rows], other[:rows], twice[:rows]
        centre = y[top:bottom, 1:-1]
        cv2.add(y[top - 1:bottom - 1, 1:-1], y[top + 1:bottom + 1, 1:-1], dst=lap, dtype=cv2.CV_16S)
        cv2.add(y[top:bottom, :-2], y[top:bottom, 2:], dst=tmp, dtype=cv2.CV_16S)
        cv2.add(lap, tmp, dst=lap)
        cv2.add(centre, centre, dst=centre2, dtype=cv2.CV_16S)
        cv2.subtract(lap, centre2, dst=lap)
        cv2.subtract(lap, centre2, dst=lap)
        strip1, strip2 = _sums(cv2, lap)
        s1, s2 = s1 + strip1, s2 + strip2
    n = (height - 2) * (width - 2)
    return (s2 * n - s1 * s1) / (n * n)


_KEPT = threading.local()


def _kept(name: str, shape: tuple[int, int], dtype) -> np.ndarray:
    """A scratch array of this thread, kept while the images keep its shape: a new one for every
    image costs an allocator call and, where its memory is fresh, page faults (expensive on a VM)."""
    found = getattr(_KEPT, name, None)
    if found is None or found.shape != shape:
        found = np.empty(shape, dtype)
        setattr(_KEPT, name, found)
    return found


def laplacian_variance(y: np.ndarray) -> float | None:
    """Population variance of the 4-neighbour Laplacian over the interior pixels (no padding), from
    exact integer sums: ``y`` is luma as uint8, so the Laplacian fits int16 (|L| <= 1020), OpenCV's
    integer additions of it are exact and so are its sums (``integer_sums``). In strips of ``STRIP``
    pixels: a huge image needs no Laplacian of its full size."""
    cv2 = _cv2()
    with ipp_off(cv2):
        return _laplacian(cv2, y)


def is_grayscale(img) -> bool:
    """Single-channel, or R, G and B within GRAY_TOLERANCE everywhere. One pixel out of tolerance
    proves colour, so a few real pixels (``probe_points``, read one by one, stopping at the first
    in colour: usually the first, the middle of a face) spare a colour photo the full scan, which
    a gray photo still gets: the answer is the full scan's."""
    if img.mode in SINGLE_CHANNEL:
        return True
    rgb = img if img.mode == "RGB" else img.convert("RGB")
    pixels = rgb.load()
    for xy in probe_points(*rgb.size):
        r, g, b = pixels[xy]
        if max(r, g, b) - min(r, g, b) > GRAY_TOLERANCE:
            return False
    return _rgb_within_tolerance(rgb)


@functools.lru_cache(maxsize=64)
def probe_points(width: int, height: int) -> tuple[tuple[int, int], ...]:
    """The pixels of a ``PROBE`` x ``PROBE`` grid (the centres of its cells), nearest the middle
    first."""
    xs = sorted({(2 * i + 1) * width // (2 * PROBE) for i in range(PROBE)})
    ys = sorted({(2 * i + 1) * height // (2 * PROBE) for i in range(PROBE)})
    return tuple(sorted(((x, y) for x in xs for y in ys),
                        key=lambda p: (2 * p[0] - width) ** 2 + (2 * p[1] - height) ** 2))


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


def phash(gray, y: np.ndarray | None = None) -> str:
    """imagehash's pHash (module docstring) of the box-reduced luma, its LANCZOS resize and its
    two DCTs folded into two small matrix products (``lanczos_dct``): Pillow's resample of a
    112x112 face alone cost about half a decode (a convolution per pixel in C, its weights
    recomputed at every call). Rounded to 1e-6 the products are exact where a flat image's zero
    coefficients would otherwise come out as 1e-13 (coefficients of 8-bit pixels that differ,
    differ by far more). ``y``: the luma as an array, if at hand; halving it, OpenCV's area resize
    computes Pillow's ``reduce(2)`` exactly ((sum of 4 + 2) >> 2) in a fraction of its time; other
    factors (and odd sizes, whose last box Pillow averages over fewer pixels) round differently
    in OpenCV, so Pillow reduces them."""
    width, height = gray.size
    factor = (max(1, width // PHASH_KEEP), max(1, height // PHASH_KEEP))
    if factor == (2, 2) and y is not None and width % 2 == 0 and height % 2 == 0:
        cv2 = _cv2()
        small = _kept("halved", (height // 2, width // 2), np.uint8)
        cv2.resize(y, (width // 2, height // 2), dst=small, interpolation=cv2.INTER_AREA)
    elif factor != (1, 1):
        small = np.asarray(gray.reduce(factor))
    else:
        small = np.asarray(gray) if y is None else y
    pixels = _kept("phash", small.shape, np.float64)
    np.copyto(pixels, small)
    rows, cols = pixels.shape
    low = np.round(lanczos_dct(rows) @ pixels @ lanczos_dct(cols).T, 6)
    ordered = np.sort(low, axis=None)
    bits = low > (ordered[31] + ordered[32]) / 2  # numpy's median of 64 values
    return np.packbits(bits.ravel()).tobytes().hex()


def has_gps(img) -> bool:
    """Pillow's ``getexif`` finds EXIF in the ``exif`` info (JPEG, PNG's eXIf, WebP), in a PNG's
    "Raw profile type exif" text, or in a TIFF's own tags (``tag_v2``); without any of them there is
    none to parse (parsing costs more than some of the figures)."""
    if "exif" not in img.info and "Raw profile type exif" not in img.info and not hasattr(img, "tag_v2"):
        return False
    try:
        return bool(img.getexif().get_ifd(GPS_IFD))
    except Exception:  # a malformed EXIF block says nothing about the pixels: no GPS we can read
        return False


class Decoded(NamedTuple):
    """What of an image's facts needs the decoded image, taken right after the decode; the rest
    (``finish``) needs only its luma."""
    gray: object  # the luma as a Pillow "L" image
    aspect: float
    grayscale: bool
    exif_gps: bool


def decoded(img) -> Decoded:
    """The luma (one conversion serves every figure), the colour and the EXIF of a decoded
    (``load()``-ed) Pillow image."""
    gray = img.convert("L")  # a copy for an "L" image: the caller may close the decoded one
    width, height = img.size
    return Decoded(gray, width / height, is_grayscale(img), has_gps(img))


def finish(images: list[Decoded]) -> list[ImageFacts]:
    """The facts of several decoded images, their sums, Laplacians and pHashes one image after the
    other: right after a decode each of these calls (and the luma's copy into an array) cost about
    twice as much, the decoder having pushed their code and data out of the CPU's caches."""
    cv2 = _cv2()
    lumas = [luma_array(d.gray) for d in images]
    with ipp_off(cv2):
        sums = [(_moments(cv2, y), _laplacian(cv2, y)) for y in lumas]
    return [ImageFacts(d.aspect, mean, std, sharpness, d.grayscale, d.exif_gps, phash(d.gray, y))
            for d, y, ((mean, std), sharpness) in zip(images, lumas, sums, strict=True)]


def luma_array(gray) -> np.ndarray:
    """A read-only array of an "L" image's bytes (one copy, as ``np.asarray`` makes, without the
    array interface's dictionary to build and parse: a third of its cost on a face)."""
    width, height = gray.size
    return np.frombuffer(gray.tobytes(), np.uint8).reshape(height, width)
