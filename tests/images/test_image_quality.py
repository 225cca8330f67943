"""The ``image_quality`` check on FairFace: per-group means and spreads of brightness, contrast and
sharpness equal an independent Pillow/numpy/pandas computation to 1e-9; the SMD limit decides; GPS
positions are counted, never read out; small groups are withheld when published."""

from __future__ import annotations

import io
import math
import shutil
from itertools import combinations
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image

from datavet.checks.image_quality import image_quality
from datavet.errors import ChecksFailed
from datavet.pipeline import validate, version
from tests.images.conftest import FAIRFACE, MANIFEST, fairface_project, independent

INCLUDE = ["fairface/val/2*.jpg"]  # 2, 20-29, 200-299, 2000-2999: 1,111 faces


@pytest.fixture(scope="module")
def expected() -> pd.DataFrame:
    manifest = pd.read_csv(MANIFEST, keep_default_na=False).set_index("file")
    rows = []
    for path in sorted(FAIRFACE.glob("2*.jpg")):
        rel = path.relative_to(FAIRFACE.parent.parent).as_posix()
        rows.append({"file": rel, "race": manifest.loc[rel, "race"], **independent(path)})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    project = fairface_project(tmp_path_factory.mktemp("iq"), INCLUDE,
                               {"image_quality": [{"by": "race", "max_smd": 0.05, "severity": "warning"}]})
    loaded = project.loaded()
    info = version(loaded, project.settings)
    return validate(loaded, project.settings, info.md5)


def test_group_means_and_spreads_equal_an_independent_computation(report, expected) -> None:
    result = next(c for c in report.checks if c.check == "image_quality")
    o = result.observed
    assert o["images"] == len(expected) == 1111
    by_race = expected.groupby("race")
    assert o["rows"] == by_race.size().to_dict()
    for race, group in by_race:
        for fact in ("luma_mean", "contrast", "sharpness"):
            assert abs(o["means"][race][fact] - group[fact].mean()) <= 1e-9, (race, fact)
            assert abs(o["spreads"][race][fact] - group[fact].std(ddof=0)) <= 1e-9, (race, fact)
        assert o["means"][race]["grayscale"] == pytest.approx(group["grayscale"].mean(), abs=1e-12)
    for fact in ("luma_mean", "sharpness"):
        pairs = {(a, b): abs(by_race[fact].mean()[a] - by_race[fact].mean()[b])
                 / math.sqrt((by_race[fact].std(ddof=0)[a] ** 2 + by_race[fact].std(ddof=0)[b] ** 2) / 2)
                 for a, b in combinations(sorted(by_race.groups), 2)}
        top = max(pairs, key=pairs.get)
        assert abs(o["smd"][fact] - pairs[top]) <= 1e-9 and o["smd_groups"][fact] == list(top)
    assert not result.success and any("max_smd" in f for f in result.failures)  # 0.05 is tight
    assert o["exif_gps_files"] == 0


def test_gps_positions_are_counted_and_the_limit_blocks(tmp_path: Path) -> None:
    root = tmp_path / "data"
    (root / "fairface" / "val").mkdir(parents=True)
    for n in range(1, 41):
        shutil.copyfile(FAIRFACE / f"{n}.jpg", root / "fairface" / "val" / f"{n}.jpg")
    exif = Image.Exif()
    exif.get_ifd(0x8825).update({1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)})
    for n in (1, 2, 3):
        with Image.open(FAIRFACE / f"{n}.jpg") as img:
            buf = io.BytesIO()
            img.save(buf, format="JPEG", exif=exif, quality=95)
        (root / "fairface" / "val" / f"{n}.jpg").write_bytes(buf.getvalue())
    project = fairface_project(tmp_path / "p", ["fairface/val/*.jpg"],
                               {"image_quality": [{"by": "gender", "max_exif_gps_files": 0}]}, files_root=root)
    loaded = project.loaded()
    info = version(loaded, project.settings)
    with pytest.raises(ChecksFailed) as failed:
        validate(loaded, project.settings, info.md5)
    summary = failed.value.summary
    assert "exif_gps_files" in summary and "48" not in summary.replace("max_exif_gps_files", "")


def test_figures_of_a_hand_built_table() -> None:
    table = {"columns": ["g", "image_width", "image_height", "image_aspect", "image_luma_mean", "image_contrast",
                         "image_sharpness", "image_grayscale", "image_exif_gps"],
             "rows": [[["a", 10, 10, 1.0, 100.0, 5.0, 50.0, False, False], 2],
                      [["a", 10, 10, 1.0, 110.0, 5.0, 70.0, True, True], 1],
                      [["b", 20, 10, 2.0, 90.0, 5.0, None, False, False], 1],
                      [[None, 20, 10, 2.0, 90.0, 5.0, 1.0, False, False], 1],
                      [["b", None, None, None, None, None, None, None, None], 1]]}
    out = image_quality(table, [], ["luma_mean", "sharpness", "grayscale"], max_smd=10.0)
    o = out.observed
    assert o["images"] == 5 and o["rows"] == {"a": 3, "b": 1} and o["exif_gps_files"] == 1
    assert o["means"]["a"]["luma_mean"] == pytest.approx(310 / 3)
    assert o["spreads"]["b"]["luma_mean"] == 0.0 and o["means"]["b"]["sharpness"] is None
    assert o["smd"]["sharpness"] is None and o["smd"]["luma_mean"] == pytest.approx(
        (310 / 3 - 90) / math.sqrt((pd.Series([100, 100, 110]).std(ddof=0) ** 2) / 2))
    assert out.success


def test_published_small_groups_lose_their_means(report) -> None:
    from datavet.privacy import publish_result

    result = next(c for c in report.checks if c.check == "image_quality")
    small = result.model_copy(update={"observed": {**result.observed, "rows": {**result.observed["rows"],
                                                                                "Middle Eastern": 4}}}, deep=True)
    published = publish_result(small, 10).observed
    assert published["rows"]["Middle Eastern"] == "<10" and published["means"]["Middle Eastern"] is None
    assert published["spreads"]["Middle Eastern"] is None and published["largest_smd"] is None
    assert published["means"]["White"] == result.observed["means"]["White"]
