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

import math
from itertools import combinations
from typing import Any, Literal

from pydantic import Field

from datavet.checks.base import CheckType, SuiteContext, expectation
from datavet.checks.limits import Count, Severity, SplitScoped
from datavet.figures.outcome import Outcome, check_max
from datavet.figures.tables import value_counts
from datavet.figures.values import is_missing, label
from datavet.privacy.declare import cell, group_key, over
from datavet.privacy.names import extend, rename

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


def moments(pairs: list[tuple[float, int]]) -> tuple[int, float | None, float | None]:
    """(n, mean, population standard deviation) of values given as (value, rows)."""
    n = sum(k for _, k in pairs)
    if n == 0:
        return 0, None, None
    mean = math.fsum(v * k for v, k in pairs) / n
    var = math.fsum(k * (v - mean) ** 2 for v, k in pairs) / n
    return n, mean, math.sqrt(var)


def smd(a: tuple[int, float | None, float | None], b: tuple[int, float | None, float | None]) -> float | None:
    """|m_a - m_b| / sqrt((s_a^2 + s_b^2) / 2); 0 for equal means, None when the pooled spread is 0."""
    if a[1] is None or b[1] is None:
        return None
    diff = abs(a[1] - b[1])
    pooled = math.sqrt((a[2] ** 2 + b[2] ** 2) / 2)
    if diff == 0:
        return 0.0
    return diff / pooled if pooled > 0 else None


def image_quality(table: dict[str, Any], tokens: list[str], facts: list[str] | None = None, *,
                  max_smd: float | None = None, max_exif_gps_files: int | None = None,
                  private_by: bool = False, by_names: dict[str, str] | None = None) -> Outcome:
    """Figures from the value counts of (attribute, image_width, ..., image_exif_gps) (``TABLE_COLUMNS``).

    Rows whose attribute is missing are in no group; a fact that is null (a file that is not a
    readable image) counts in no mean. ``rows``: per group, the images with facts (luma known)."""
    chosen = list(facts or FACTS)
    index = {f: 1 + list(FACTS).index(f) for f in chosen}
    values: dict[str, dict[str, list[tuple[float, int]]]] = {}
    rows: dict[str, int] = {}
    gps = images = 0
    for key, n in value_counts(table).items():
        if key[1 + list(FACTS).index("luma_mean")] is not None:
            images += n
        if key[-1] is True:
            gps += n
        if is_missing(key[0], tokens):
            continue
        g = label(key[0])
        per = values.setdefault(g, {f: [] for f in chosen})
        rows.setdefault(g, 0)
        if key[1 + list(FACTS).index("luma_mean")] is not None:
            rows[g] += n
        for f, i in index.items():
            if key[i] is not None:
                per[f].append((float(key[i]), n))
    if private_by:
        mapping = extend(by_names, rows, rows)
        rows, values = rename(rows, mapping), rename(values, mapping)
    stats = {g: {f: moments(values[g][f]) for f in chosen} for g in sorted(values)}
    out = Outcome({"images": images, "rows": {g: rows[g] for g in sorted(rows)},
                   "means": {g: {f: stats[g][f][1] for f in chosen} for g in stats},
                   "spreads": {g: {f: stats[g][f][2] for f in chosen} for g in stats},
                   "smd": {}, "smd_groups": {}, "largest_smd": None, "largest_smd_fact": None,
                   "exif_gps_files": gps})
    for f in chosen:
        best: tuple[float, list[str]] | None = None
        for a, b in combinations(sorted(stats), 2):
            d = smd(stats[a][f], stats[b][f])
            if d is not None and (best is None or d > best[0]):
                best = (d, [a, b])
        out.observed["smd"][f] = None if best is None else best[0]
        out.observed["smd_groups"][f] = None if best is None else best[1]
        check_max(out, "smd", out.observed["smd"][f], "max_smd", max_smd if best is not None else None, group=f)
    defined = {f: d for f, d in out.observed["smd"].items() if d is not None}
    if defined:
        top = max(defined, key=lambda f: defined[f])
        out.observed["largest_smd"], out.observed["largest_smd_fact"] = defined[top], top
    if len(stats) < 2:
        out.notes.append("fewer than two groups with images: no standardized mean difference is defined")
    if gps:
        out.notes.append(f"{gps} image(s) carry a GPS position in their EXIF: a privacy finding in a dataset of "
                         "people (positions are never read out; strip EXIF before publishing the images)")
    check_max(out, "exif_gps_files", gps, "max_exif_gps_files", max_exif_gps_files, count=True)
    out.cap()
    return out


class ImageQuality(CheckType):
    name = NAME
    expectation_type = "expect_image_quality_to_be_similar_across_groups"
    expectation_module = "datavet.gx.expectations.expect_image_quality_to_be_similar_across_groups"
    limit_keys = ("max_smd", "max_exif_gps_files")
    spec_key = NAME
    reads_image_content = True
    spec_annotation = list[ImageQualitySpec]

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
        """Each group's images are its cell; its means and spreads give that cell away, the
        differences every cell; the GPS count is a cell of its own."""
        o = result.observed
        keys = []
        for g, n in (o.get("rows") or {}).items():
            key = group_key(result.by, g)
            t.count(("rows", g), key, n)
            t.derived(("means", g), key)
            t.derived(("spreads", g), key)
            keys.append(key)
        over(t, [("smd",), ("smd_groups",), ("largest_smd",), ("largest_smd_fact",)], keys, o)
        t.count(("exif_gps_files",), cell((GPS_COLUMN, "True")), o.get("exif_gps_files"))

    def metrics(self, result: Any, out: dict[str, Any]) -> None:
        smds = {f: d for f, d in (result.observed.get("smd") or {}).items() if d is not None}
        out.setdefault("image_smd", {})[result.by or ""] = smds
