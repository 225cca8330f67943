"""The ``image_quality`` check: are the images of one group darker, blurrier or smaller than another's?

REVISE and Know Your Data compare image statistics across groups; Gender Shades found darker-skinned
faces photographed worse. Per group of a protected attribute, the mean and the spread (population
standard deviation) of each image fact (datavet.sources.image_facts: width, height, aspect, luma_mean,
contrast, sharpness, grayscale as a 0/1 share), and for each fact the largest standardized mean
difference between two groups, |m_a - m_b| / sqrt((s_a^2 + s_b^2) / 2), limited by ``max_smd``. Every
figure comes from the shared value counts of (attribute, facts...): the engine counts, nothing else
reads the images again. Images with EXIF GPS in a dataset of people are a privacy finding: their
number is reported (never where they were taken) and may be limited (``max_exif_gps_files``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from datavet.checks.base import SuiteContext, expectation
from datavet.checks.group_facts import GroupFactsCheck, compare_groups
from datavet.checks.limits import Count, Severity, SplitScoped
from datavet.figures.outcome import Outcome, check_max
from datavet.figures.tables import value_counts
from datavet.figures.values import is_missing, label
from datavet.privacy.declare import cell

NAME = "image_quality"
FACTS = {"width": "image_width", "height": "image_height", "aspect": "image_aspect", "luma_mean": "image_luma_mean",
         "contrast": "image_contrast", "sharpness": "image_sharpness", "grayscale": "image_grayscale"}
GPS_COLUMN = "image_exif_gps"
TABLE_COLUMNS = [*FACTS.values(), GPS_COLUMN]
Fact = Literal["width", "height", "aspect", "luma_mean", "contrast", "sharpness", "grayscale"]


class ImageQualitySpec(SplitScoped):
    """Image content compared across the groups of a protected attribute (a tree of images: source.files)."""

    by: str = Field(description="The protected attribute whose groups are compared.")
    facts: list[Fact] | None = Field(default=None, description="The facts compared; default: all of them.")
    max_smd: float | None = Field(default=None, ge=0, description="Largest allowed standardized mean difference "
                                                                  "of a fact between two groups (null: no limit).")
    max_exif_gps_files: Count | None = Field(
        default=None, description="Images whose EXIF holds a GPS position (a privacy finding; null: report only).")
    severity: Severity = "error"


def image_quality(table: dict[str, Any], tokens: list[str], facts: list[str] | None = None, *,
                  max_smd: float | None = None, max_exif_gps_files: int | None = None,
                  private_by: bool = False, by_names: dict[str, str] | None = None) -> Outcome:
    """Figures from the value counts of (attribute, image_width, ..., image_exif_gps) (``TABLE_COLUMNS``).

    Rows whose attribute is missing are in no group; a fact that is null (a file that is not a
    readable image) counts in no mean. ``rows``: per group, the images with facts (luma known)."""
    chosen = list(facts or FACTS)
    luma = 1 + list(FACTS).index("luma_mean")
    index = {f: 1 + list(FACTS).index(f) for f in chosen}
    values: dict[str, dict[str, list[tuple[float, int]]]] = {}
    rows: dict[str, int] = {}
    gps = images = 0
    for key, n in value_counts(table).items():
        if key[luma] is not None:
            images += n
        if key[-1] is True:
            gps += n
        if is_missing(key[0], tokens):
            continue
        g = label(key[0])
        per = values.setdefault(g, {f: [] for f in chosen})
        rows.setdefault(g, 0)
        if key[luma] is not None:
            rows[g] += n
        for f, i in index.items():
            if key[i] is not None:
                per[f].append((float(key[i]), n))
    out, _ = compare_groups(values, rows, chosen, max_smd=max_smd, private_by=private_by, by_names=by_names,
                            what="images")
    out.observed = {"images": images, **out.observed, "exif_gps_files": gps}
    if gps:
        out.notes.append(f"{gps} image(s) carry a GPS position in their EXIF: a privacy finding in a dataset of "
                         "people (positions are never read out; strip EXIF before publishing the images)")
    check_max(out, "exif_gps_files", gps, "max_exif_gps_files", max_exif_gps_files, count=True)
    out.cap()
    return out


class ImageQuality(GroupFactsCheck):
    name = NAME
    expectation_type = "expect_image_quality_to_be_similar_across_groups"
    expectation_module = "datavet.gx.expectations.expect_image_quality_to_be_similar_across_groups"
    limit_keys = ("max_smd", "max_exif_gps_files")
    spec_key = NAME
    reads_image_content = True
    spec_annotation = list[ImageQualitySpec]
    total = "images"
    metric = "image_smd"

    def configurations(self, checks: Any, ctx: SuiteContext) -> list[dict[str, Any]]:
        return [expectation(self, iq.severity, splits=iq.splits, by=iq.by, facts=iq.facts, max_smd=iq.max_smd,
                            max_exif_gps_files=iq.max_exif_gps_files, by_is_private=iq.by in ctx.private)
                for iq in checks.image_quality]

    def columns(self, checks: Any) -> set[str]:
        return {c for iq in checks.image_quality for c in (iq.by, *TABLE_COLUMNS)}

    def problems(self, spec: Any) -> list[str]:
        if spec.checks.image_quality and not spec.source.has_files:
            return ["checks.image_quality reads what is inside images: it needs source.files (a tree of images)"]
        return []

    def declare(self, result: Any, t: Any) -> None:
        """Each group's images are its cell (GroupFactsCheck); the GPS count is a cell of its own."""
        super().declare(result, t)
        t.count(("exif_gps_files",), cell((GPS_COLUMN, "True")), result.observed.get("exif_gps_files"))
