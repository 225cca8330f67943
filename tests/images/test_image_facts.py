"""Image facts against independent computations: luma by the ITU-R 601 formula on the RGB pixels (not
Pillow's "L"), contrast, a Laplacian by scipy's convolution, a grayscale decision by hand, EXIF GPS
written with Pillow, and the cache that keeps them by content."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from datavet.sources.file_facts import compute_facts, facts_cache
from tests.images.conftest import FAIRFACE, independent


@pytest.mark.parametrize("n", [1, 2, 3, 17, 250, 4999])
def test_fairface_image_facts_equal_an_independent_computation(n: int) -> None:
    path = FAIRFACE / f"{n}.jpg"
    facts = compute_facts(path, ".jpg")
    want = independent(path)
    got = facts.image
    assert facts.readable and got is not None
    assert got.aspect == facts.image_width / facts.image_height
    for key in ("luma_mean", "contrast", "sharpness"):
        assert abs(getattr(got, key) - want[key]) <= 1e-9 * max(1.0, abs(want[key])), key
    assert got.grayscale == want["grayscale"]
    assert got.exif_gps is False
    assert len(got.phash) == 16 and int(got.phash, 16) >= 0


def _jpeg(img: Image.Image, **kwargs) -> bytes:
    out = io.BytesIO()
    img.save(out, format="JPEG", **kwargs)
    return out.getvalue()


def test_gps_in_exif_is_seen_and_gray_photos_are_grayscale(tmp_path: Path) -> None:
    assert compute_facts(FAIRFACE / "3.jpg", ".jpg").image.grayscale is True  # a gray photo stored as RGB
    assert independent(FAIRFACE / "3.jpg")["grayscale"] is True
    with Image.open(FAIRFACE / "4.jpg") as img:
        rgb = img.convert("RGB")
    exif = Image.Exif()
    exif.get_ifd(0x8825).update({1: "N", 2: (52.0, 22.0, 0.0)})  # GPSLatitudeRef, GPSLatitude
    (tmp_path / "gps.jpg").write_bytes(_jpeg(rgb, exif=exif))
    (tmp_path / "plain.jpg").write_bytes(_jpeg(rgb))
    (tmp_path / "gray.jpg").write_bytes(_jpeg(rgb.convert("L").convert("RGB")))
    rgb.convert("L").save(tmp_path / "gray_l.png")
    assert compute_facts(tmp_path / "gps.jpg", ".jpg").image.exif_gps is True
    assert compute_facts(tmp_path / "plain.jpg", ".jpg").image.exif_gps is False
    assert compute_facts(tmp_path / "plain.jpg", ".jpg").image.grayscale is False
    assert independent(tmp_path / "plain.jpg")["grayscale"] is False
    assert compute_facts(tmp_path / "gray.jpg", ".jpg").image.grayscale is True
    assert compute_facts(tmp_path / "gray_l.png", ".png").image.grayscale is True


def test_an_image_that_does_not_decode_names_no_path(tmp_path: Path) -> None:
    (tmp_path / "bad.gif").write_bytes(b"GIF89a")  # the signature, nothing after it
    facts = compute_facts(tmp_path / "bad.gif", ".gif")
    assert not facts.readable and facts.problem.startswith("does not decode as gif")
    assert str(tmp_path) not in facts.problem  # the file is read from staging or the cache: no such path


def test_tiny_images_have_no_sharpness(tmp_path: Path) -> None:
    Image.new("RGB", (2, 5), (10, 20, 30)).save(tmp_path / "tiny.png")
    facts = compute_facts(tmp_path / "tiny.png", ".png").image
    assert facts.sharpness is None and facts.contrast == 0.0


def test_the_cache_keeps_image_facts_exactly_and_forgets_images_cached_without_them(tmp_path: Path) -> None:
    facts = compute_facts(FAIRFACE / "5.jpg", ".jpg")
    with facts_cache(tmp_path / "c.sqlite") as cache:
        cache.remember_facts("abc", ".jpg", facts)
        cache.conn.execute("INSERT INTO facts VALUES ('old', '.jpg', 'jpeg', 1, NULL, 224, 224)")  # before images
        cache.conn.execute("INSERT INTO facts VALUES ('txt', '.txt', 'text', 1, NULL, NULL, NULL)")
    with facts_cache(tmp_path / "c.sqlite") as cache:
        known = cache.facts_of({("abc", ".jpg"), ("old", ".jpg"), ("txt", ".txt")})
    assert known[("abc", ".jpg")] == facts
    assert ("old", ".jpg") not in known and known[("txt", ".txt")].image is None


def test_a_second_version_with_one_percent_more_images_decodes_only_the_new_ones(tmp_path: Path) -> None:
    import shutil

    import pandas as pd

    from datavet.sources import source_for
    from tests.images.conftest import fairface_project

    root = tmp_path / "data"
    (root / "fairface" / "val").mkdir(parents=True)
    for n in range(1, 201):
        shutil.copyfile(FAIRFACE / f"{n}.jpg", root / "fairface" / "val" / f"{n}.jpg")
    plain = fairface_project(tmp_path / "p", ["fairface/val/*.jpg"], {}, files_root=root)
    without = source_for(plain.loaded(), plain.settings)
    table = pd.read_parquet(without.materialise(tmp_path / "s0").table)
    assert without.counts.decoded == 200 and "image_phash" not in table  # no check reads them: not computed
    project = fairface_project(tmp_path / "p", ["fairface/val/*.jpg"], {"image_quality": [{"by": "race"}]},
                               files_root=root)
    first = source_for(project.loaded(), project.settings)
    before = pd.read_parquet(first.materialise(tmp_path / "s1").table).set_index("file")
    assert first.counts.decoded == 200 and before["image_phash"].notna().all()  # now asked for: decoded again
    shutil.copyfile(FAIRFACE / "201.jpg", root / "fairface" / "val" / "201.jpg")
    shutil.copyfile(FAIRFACE / "202.jpg", root / "fairface" / "val" / "202.jpg")
    second = source_for(project.loaded(), project.settings)
    after = pd.read_parquet(second.materialise(tmp_path / "s2").table).set_index("file")
    assert second.counts.decoded == 2 and len(after) == 202
    pd.testing.assert_frame_equal(after.loc[before.index], before)  # cached facts are the computed ones
    new = compute_facts(FAIRFACE / "202.jpg", ".jpg").image
    assert after.loc["fairface/val/202.jpg", "image_sharpness"] == new.sharpness


def independent_phash(gray: Image.Image) -> str:
    """imagehash's pHash algorithm (scipy's DCT, numpy's median, imagehash's hex) on the box-reduced
    luma resized by Pillow's LANCZOS in float ("F") mode, i.e. not rounded to 8 bits."""
    import imagehash
    import numpy as np
    from scipy.fftpack import dct

    from datavet.sources.image_facts import PHASH_KEEP

    w, h = gray.size
    small = gray.reduce((max(1, w // PHASH_KEEP), max(1, h // PHASH_KEEP)))
    pixels = np.asarray(small.convert("F").resize((32, 32), Image.Resampling.LANCZOS), dtype=np.float64)
    low = dct(dct(pixels, axis=0), axis=1)[:8, :8]
    return str(imagehash.ImageHash(low > np.median(low)))


def test_phash_is_imagehashs_algorithm_on_the_reduced_luma_and_the_pool_keeps_order() -> None:
    """The pHash equals imagehash's algorithm on the reduced luma computed independently (Pillow's
    float resize, scipy's DCT); a pool of workers returns every file's facts, in order, equal to those
    computed here."""
    import imagehash
    import numpy as np

    from datavet.sources.file_facts import POOL_MIN, compute_many
    from datavet.sources.image_facts import phash

    paths = [FAIRFACE / f"{n}.jpg" for n in range(1, POOL_MIN + 41)]
    here = list(compute_many([(p, ".jpg") for p in paths], workers=1))
    pooled = list(compute_many([(p, ".jpg") for p in paths], workers=2))
    assert pooled == here
    for path, facts in list(zip(paths, here, strict=True))[:40]:
        with Image.open(path) as img:
            assert facts.image.phash == independent_phash(img.convert("L")), path
    rng = np.random.default_rng(7)
    for size in ((1, 1), (5, 40), (31, 33), (32, 32), (500, 90), (3000, 2000)):  # up, down, odd factors
        gray = Image.fromarray(rng.integers(0, 256, size[::-1], dtype=np.uint8), "L")
        assert phash(gray) == independent_phash(gray), size
    x, y = np.meshgrid(np.arange(300), np.arange(200))  # flat, stripes, a gradient, a checkerboard: ties
    for pixels in (np.full((200, 300), 128), (x % 8 < 4) * 200, y * 255 // 199, ((x // 4 + y // 4) % 2) * 255):
        gray = Image.fromarray(pixels.astype(np.uint8), "L")
        # coefficients that tie are decided by rounding noise: the float32 resize's of the reference,
        # or, as here, none (exact zeros), which is what imagehash's 8-bit pHash also gives
        assert phash(gray) in {independent_phash(gray), str(imagehash.phash(gray.reduce((3, 2))))}


def test_a_script_without_a_main_guard_still_gets_every_fact(tmp_path: Path) -> None:
    """Workers re-import the caller's main module; one that starts work on import kills them: the rest
    of the files are then done in the calling process, none lost, none twice."""
    import subprocess
    import sys

    from datavet.sources.file_facts import POOL_MIN

    script = tmp_path / "unguarded.py"
    script.write_text(
        "from pathlib import Path\n"
        "from datavet.sources.file_facts import compute_many\n"
        f"paths = [Path({str(FAIRFACE)!r}) / f'{{n}}.jpg' for n in range(1, {POOL_MIN + 11})]\n"
        "facts = list(compute_many([(p, '.jpg') for p in paths], workers=2))\n"
        "print(len(facts), sum(f.image is not None for f in facts), len({f.image.phash for f in facts}))\n")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    n = POOL_MIN + 10
    assert proc.stdout.split() == [str(n), str(n), str(len({compute_facts(FAIRFACE / f"{k}.jpg", ".jpg").image.phash
                                                             for k in range(1, n + 1)}))]


def _exact_sums(a) -> tuple[int, int]:
    """Sum and sum of squares in Python integers (by numpy in int64, rows at a time: no overflow)."""
    import numpy as np

    s1 = s2 = 0
    for rows in np.array_split(a, max(1, a.size // 1_000_000)):
        wide = rows.astype(np.int64)
        s1, s2 = s1 + int(wide.sum()), s2 + int((wide * wide).sum())
    return s1, s2


def _laplacian_variance_by_hand(y) -> float | None:
    """The interior 4-neighbour Laplacian by numpy slicing in int64, its variance from exact sums."""
    import numpy as np

    if y.shape[0] < 3 or y.shape[1] < 3:
        return None
    w = y.astype(np.int64)
    lap = w[:-2, 1:-1] + w[2:, 1:-1] + w[1:-1, :-2] + w[1:-1, 2:] - 4 * w[1:-1, 1:-1]
    s1, s2 = _exact_sums(lap)
    return (s2 * lap.size - s1 * s1) / (lap.size * lap.size)


def test_opencv_sums_are_exact_integers_on_every_face_and_on_large_and_odd_images() -> None:
    """OpenCV's sums (IPP off for the call: its square-rooted norm is off in the 8th digit) equal
    Python-integer sums on all 5,000 faces' luma and Laplacian; so do the figures, bit for bit, on
    odd shapes and on a 3000x3000 checkerboard (|Laplacian| = 1020 everywhere: sums far past 2**31).
    IPP is left on for the caller; the pHash's OpenCV halving equals Pillow's reduce(2) everywhere."""
    import cv2
    import numpy as np

    from datavet.sources.image_facts import integer_sums, laplacian_variance, luma_moments

    assert cv2.ipp.useIPP()
    for n in range(1, 5001):
        with Image.open(FAIRFACE / f"{n}.jpg") as img:
            gray = img.convert("L")
        y = np.asarray(gray)
        lap = cv2.Laplacian(y, cv2.CV_16S, ksize=1)[1:-1, 1:-1]
        assert integer_sums(cv2, y) == _exact_sums(y), n
        assert integer_sums(cv2, lap) == _exact_sums(lap), n
        if n <= 500:
            assert laplacian_variance(y) == _laplacian_variance_by_hand(y), n
            assert np.array_equal(cv2.resize(y, (112, 112), interpolation=cv2.INTER_AREA), np.asarray(gray.reduce(2)))
    assert cv2.ipp.useIPP()
    rng = np.random.default_rng(11)
    for shape in ((1, 1), (2, 9), (9, 2), (3, 3), (3, 700), (700, 3), (4, 5), (1001, 257), (2, 2)):
        y = rng.integers(0, 256, shape, dtype=np.uint8)
        assert laplacian_variance(y) == _laplacian_variance_by_hand(y), shape
        s1, s2 = _exact_sums(y)
        assert luma_moments(y) == (s1 / y.size, (s2 * y.size - s1 * s1) ** 0.5 / y.size), shape
    board = ((np.indices((3000, 3000)).sum(axis=0) % 2) * 255).astype(np.uint8)
    assert integer_sums(cv2, board) == _exact_sums(board)
    assert laplacian_variance(board) == _laplacian_variance_by_hand(board)
    assert np.array_equal(cv2.resize(board[:3000, :2998], (1499, 1500), interpolation=cv2.INTER_AREA),
                          np.asarray(Image.fromarray(board[:3000, :2998]).reduce(2)))


def test_exif_gps_is_found_in_jpeg_png_webp_and_tiff_and_a_colour_pixel_outside_the_probe(tmp_path: Path) -> None:
    """Where Pillow keeps EXIF (the info of JPEG, PNG and WebP, a TIFF's own tags; written as bytes,
    the one form Pillow writes into all four) a GPS IFD is seen, and its absence too; one pixel off
    gray by more than the tolerance, which the 16x16 probe does not sample, makes an image colour,
    and one exactly at the tolerance does not."""
    import numpy as np

    from datavet.sources.image_facts import GRAY_TOLERANCE, PROBE, is_grayscale

    with Image.open(FAIRFACE / "4.jpg") as img:
        rgb = img.convert("RGB")
    exif = Image.Exif()
    exif.get_ifd(0x8825).update({1: "N", 2: (52.0, 22.0, 0.0)})
    other = Image.Exif()
    other[0x010F] = "camera maker"  # EXIF without GPS
    for fmt, suffix in (("PNG", ".png"), ("WEBP", ".webp"), ("TIFF", ".tif"), ("JPEG", ".jpg")):
        rgb.save(tmp_path / f"gps{suffix}", format=fmt, exif=exif.tobytes())
        rgb.save(tmp_path / f"other{suffix}", format=fmt, exif=other.tobytes())
        rgb.save(tmp_path / f"none{suffix}", format=fmt)
        assert compute_facts(tmp_path / f"gps{suffix}", suffix).image.exif_gps is True, fmt
        assert compute_facts(tmp_path / f"other{suffix}", suffix).image.exif_gps is False, fmt
        assert compute_facts(tmp_path / f"none{suffix}", suffix).image.exif_gps is False, fmt
    pixels = np.full((64, 64, 3), 120, np.uint8)
    step = 64 // PROBE
    assert 1 % step != 0  # row and column 1 are not sampled by the nearest-neighbour probe
    for spread, gray in ((GRAY_TOLERANCE, True), (GRAY_TOLERANCE + 1, False)):
        pixels[1, 1] = (120, 120, 120 + spread)
        img = Image.fromarray(pixels, "RGB")
        want = int((pixels.max(axis=2).astype(int) - pixels.min(axis=2)).max()) <= GRAY_TOLERANCE
        assert is_grayscale(img) is gray is want


def test_a_batch_of_mixed_files_gets_each_files_own_facts(tmp_path: Path) -> None:
    """``compute_batch`` keeps decoded images' luma and finishes them together (a few at a time, and
    at once past ``LUMA_BATCH`` pixels): with unreadable files, text, an "L" image and a large image
    among the faces, every file gets the facts it gets alone, in order, and the luma figures of the
    odd ones equal the independent computation."""
    import numpy as np

    from datavet.sources.file_facts import LUMA_BATCH, compute_batch

    rng = np.random.default_rng(5)
    big = rng.integers(0, 256, (520, 700, 3), dtype=np.uint8)
    assert big.shape[0] * big.shape[1] > LUMA_BATCH
    Image.fromarray(big, "RGB").save(tmp_path / "big.png")
    Image.fromarray(big[:77, :91, 0], "L").save(tmp_path / "gray.png")
    (tmp_path / "cut.jpg").write_bytes((FAIRFACE / "9.jpg").read_bytes()[:3000])
    (tmp_path / "note.txt").write_text("not an image")
    files = [FAIRFACE / f"{n}.jpg" for n in (1, 2, 3)] + [tmp_path / "gray.png", tmp_path / "cut.jpg"]
    files += [FAIRFACE / "4.jpg", tmp_path / "big.png", tmp_path / "note.txt"]
    files += [FAIRFACE / f"{n}.jpg" for n in range(5, 12)]
    batch = compute_batch([(str(p), p.suffix, True, False, False) for p in files])
    assert batch == [compute_facts(p, p.suffix) for p in files]
    assert not batch[4].readable and batch[7].image is None and batch[6].image_width == 700
    for i in (3, 5, 6, 8):  # the "L" image, a face, the large image, the face after it (other scratch shapes)
        path, facts = files[i], batch[i]
        want = independent(path)
        for key in ("luma_mean", "contrast", "sharpness"):
            assert abs(getattr(facts.image, key) - want[key]) <= 1e-9 * max(1.0, abs(want[key])), (path, key)
