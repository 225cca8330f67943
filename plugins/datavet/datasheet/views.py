"""View-models for the documents: chart geometry, summary tiles and front matter are computed here,
in Python, so the templates only place what they are given (no figure is computed in a template).

Charts are horizontal bar charts drawn as inline SVG; a suppressed count draws no bar and says
"<10" instead, and labels are plain strings that the template escapes like any other text.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from datavet.datasheet.models import CellRate, ColumnInfo, Datasheet, GroupRate, GroupShare

LABEL_W, PLOT_W, VALUE_W, ROW_H, TOP, BOTTOM = 160, 240, 130, 26, 6, 28
MAX_BARS = 14  # longer lists are cut: the tables and the JSON hold every group
STEP_MANTISSAS = (1, 2, 2.5, 5)  # axis steps are these times a power of ten
MAX_LABEL = 18
TOP_COUNTRIES = 12


MAX_DIGITS = 6


def shown_digits(percent: float, digits: int) -> int:
    """At least ``digits`` decimals, more when fewer would print a non-zero value as 0 (or a value short
    of 100 % as 100): a 0.03 % bar reads "0.030%" (two significant digits), 99.996 % "99.996%"."""
    for edge, significant in ((0.0, 2), (100.0, 1)):
        gap = abs(percent - edge)
        if 0 < gap < math.inf and round(gap, digits) == 0:
            digits = max(digits, min(MAX_DIGITS, significant - 1 - math.floor(math.log10(gap))))
    return digits


def pct(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "n/a"
    return f"{100 * value:.{shown_digits(100 * value, digits)}f}%"


def num(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def pvalue(value: float | None) -> str:
    return "n/a" if value is None else ("< 0.0001" if value < 0.0001 else f"{value:.4f}")


def blocks(text: str | None) -> list[tuple[str, list[str]]]:
    """Prose as written in YAML -> ("p", [text]) paragraphs and ("list", items) bullet lists; hard-wrapped
    lines are re-joined, so the page reflows instead of keeping the YAML's line breaks."""
    out: list[tuple[str, list[str]]] = []
    for chunk in (text or "").strip().split("\n\n"):
        current: tuple[str, list[str]] | None = None
        for line in (ln.strip() for ln in chunk.splitlines()):
            if not line:
                continue
            if line.startswith(("- ", "* ")):
                if current is None or current[0] != "list":
                    current = ("list", [])
                    out.append(current)
                current[1].append(line[2:])
            elif current is None:
                current = ("p", [line])
                out.append(current)
            else:  # a wrapped line continues the paragraph or the last list item
                current[1][-1] += " " + line
    return out


def _short(text: str) -> str:
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


@dataclass
class Bar:
    label: str
    full_label: str
    y: float
    width: float
    value_text: str
    css: str = "bar"
    ref_x: float | None = None
    ref_text: str | None = None
    ci_x1: float | None = None  # the interval's ends, when the figure has one
    ci_x2: float | None = None
    ci_text: str | None = None

    # layout positions, so the template places rather than computes
    @property
    def rect_y(self) -> float:
        return self.y + 4

    @property
    def text_y(self) -> float:
        return self.y + 17.5

    @property
    def ref_y2(self) -> float:
        return self.y + ROW_H - 1

    @property
    def ci_y(self) -> float:
        return self.y + 13


@dataclass
class Chart:
    id: str
    title: str
    caption: str
    bars: list[Bar]
    ticks: list[tuple[float, str]]
    has_reference: bool
    footnote: str = ""
    has_interval: bool = False
    reference: str = ""  # the reference population's provenance, shown beside the chart
    label_w: int = LABEL_W
    plot_w: int = PLOT_W
    width: int = LABEL_W + PLOT_W + VALUE_W
    height: float = 0.0
    row_h: int = ROW_H

    @property
    def grid_bottom(self) -> float:
        return self.height - BOTTOM + 2

    @property
    def tick_y(self) -> float:
        return self.height - BOTTOM + 18

    @property
    def value_x(self) -> int:
        return self.label_w + self.plot_w + 8

    @property
    def label_x(self) -> int:
        return self.label_w - 8


def _steps(top: float) -> list[float]:
    """Round steps from a tenth of ``top``'s decade upwards, so ticks of a 0.04 % rate are round too."""
    decade = math.floor(math.log10(top)) - 1
    return [m * 10.0 ** e for e in range(decade, 1) for m in STEP_MANTISSAS if m * 10.0 ** e <= 0.25]


def _scale(values: list[float]) -> tuple[float, int]:
    """Axis maximum and number of intervals, so that ticks fall on round percentages."""
    top = max([v for v in values if v is not None] or [0.0])
    if top <= 0:  # nothing to draw (all zero or withheld): a plain 0-100% axis
        return 1.0, 4
    for step in _steps(top):
        n = max(1, math.ceil(round(top / step, 9)))
        if n <= 5:
            return min(1.0, n * step), max(n, 2) if n * step <= 1.0 else 4
    return 1.0, 4


def tick_labels(vmax: float, parts: int) -> list[str]:
    """The fewest decimals that write every tick exactly, so no two ticks read the same."""
    values = [100 * vmax * k / parts for k in range(parts + 1)]
    for digits in range(MAX_DIGITS + 1):
        if all(abs(round(v, digits) - v) < 1e-9 for v in values):
            break
    return [f"{v:.{digits}f}%" for v in values]


def bar_chart(cid: str, title: str, caption: str, rows: list[tuple[str, float | None, str, float | None]],
              css: str = "bar", footnote: str = "", more: str = "groups",
              intervals: list[list[float] | None] | None = None) -> Chart:
    """rows: (label, value in [0, 1] or None when withheld, value text, reference share or None);
    ``intervals``: each row's [low, high] (or None), drawn as a whisker."""
    intervals = list(intervals or [])[:len(rows)]
    intervals += [None] * (len(rows) - len(intervals))
    if len(rows) > MAX_BARS:
        rest = len(rows) - (MAX_BARS - 1)
        rows = [*rows[: MAX_BARS - 1], (f"{rest} more {more}", None, "see table", None)]
        intervals = [*intervals[: MAX_BARS - 1], None]
    vmax, parts = _scale([v for _, v, _, _ in rows if v is not None] + [r for *_, r in rows if r is not None]
                         + [iv[1] for iv in intervals if iv is not None])
    bars = []
    for i, ((label, value, text, ref), iv) in enumerate(zip(rows, intervals, strict=True)):
        bars.append(Bar(label=_short(label), full_label=label, y=TOP + i * ROW_H,
                        width=0.0 if value is None else round(PLOT_W * value / vmax, 1), value_text=text,
                        css=css if value is not None else "bar withheld",
                        ref_x=None if ref is None else round(LABEL_W + PLOT_W * ref / vmax, 1),
                        ref_text=None if ref is None else pct(ref),
                        ci_x1=None if iv is None else round(LABEL_W + PLOT_W * iv[0] / vmax, 1),
                        ci_x2=None if iv is None else round(LABEL_W + PLOT_W * iv[1] / vmax, 1),
                        ci_text=None if iv is None else f"{pct(iv[0])} to {pct(iv[1])}"))
    ticks = [(round(LABEL_W + PLOT_W * k / parts, 1), text) for k, text in enumerate(tick_labels(vmax, parts))]
    return Chart(id=cid, title=title, caption=caption, bars=bars, ticks=ticks, footnote=footnote,
                 has_reference=any(r is not None for *_, r in rows), has_interval=any(iv for iv in intervals),
                 height=TOP + len(rows) * ROW_H + BOTTOM)


def share_rows(groups: list[GroupShare]) -> list[tuple[str, float | None, str, float | None]]:
    return [(g.group, g.share, f"{pct(g.share)} · {g.count.display}" if g.share is not None
             else g.count.display, g.reference_share) for g in groups]


def rate_rows(groups: list[GroupRate], pct=pct) -> list[tuple[str, float | None, str, float | None]]:
    return [(g.group, g.rate, "withheld" if g.withheld else pct(g.rate), None) for g in groups]


def ci_caption(confidence: float | None) -> str:
    return "." if confidence is None else f"; whiskers: {100 * confidence:g}% Wilson score intervals."


def range_text(interval: list[float] | None) -> str:
    return "" if not interval else f" (interval {num(interval[0])} to {num(interval[1])})"


def cells_note(best: CellRate | None, worst: CellRate | None, best_word: str, worst_word: str) -> str:
    """"highest: Male | White (31.4 %, 19,174 rows); lowest: ..." for combinations of attributes."""
    parts = [f"{word}: {c.group} ({'withheld' if c.withheld else pct(c.rate)}, {c.rows.display} rows)"
             for word, c in ((best_word, best), (worst_word, worst)) if c is not None]
    return "; ".join(parts)


@dataclass
class Tile:
    label: str
    value: str
    note: str = ""
    tone: str = "plain"


@dataclass
class View:
    sheet: Datasheet
    tiles: list[Tile]
    charts: dict[str, list[Chart]] = field(default_factory=dict)
    check_counts: dict[str, int] = field(default_factory=dict)
    anchors: dict[str, str] = field(default_factory=dict)
    nav: list[tuple[str, str]] = field(default_factory=list)
    figure_names: dict[str, str] = field(default_factory=dict)
    citation: str = ""


CHART_GROUPS = ("representation", "geography", "missingness", "label", "proxy")  # where the page places them


def charts_for(sheet: Datasheet) -> dict[str, list[Chart]]:
    """The page's charts by group: the label's classes, then each check type's (``CheckType.charts``, in
    ``datavet.checks.registry.sections()`` order)."""
    from datavet.checks.registry import sections

    c = sheet.computed
    out: dict[str, list[Chart]] = {group: [] for group in CHART_GROUPS}
    if c.label is not None:
        out["label"].append(bar_chart("label", f"{c.label.column}: label values",
                                      "Share of rows with a known label.", share_rows(c.label.classes)))
    for check in sections():
        check.charts(c, out)
    return out


def build_view(sheet: Datasheet) -> View:
    c = sheet.computed
    counts = {s: sum(1 for o in sheet.validation.checks if o.status == s) for s in ("passed", "warned", "failed")}
    done = sheet.completeness
    without = c.duplicate_rows_without_identifying
    tiles = [
        Tile("Instances", f"{c.rows:,}", "rows in this version"),
        Tile("Columns", str(len(c.columns))),
        Tile("Duplicate rows", c.duplicate_rows.display, "exact repeats" + (
             f"; {without.display} without identifying columns" if without is not None else ""),
             "warn" if any(n.value or n.suppressed for n in (c.duplicate_rows, without) if n is not None)
             else "plain"),
        Tile("Missing cells", c.missing_cells.display if c.missing_cells else "n/a", "null or token"),
        Tile("Checks passed", f"{counts['passed']}/{len(sheet.validation.checks)}",
             f"{counts['warned']} warned, {counts['failed']} failed",
             "bad" if counts["failed"] else ("warn" if counts["warned"] else "good")),
        Tile("Answers", f"{done.answered}/{done.required}", "required prompts answered",
             "good" if not done.missing else "bad"),
    ]
    return View(sheet=sheet, tiles=tiles, charts=charts_for(sheet), check_counts=counts,
                anchors=anchors_for(sheet), figure_names=FIGURE_NAMES,
                nav=[(s.key, s.title.split(",")[0]) for s in sheet.sections], citation=bibtex(sheet))


FIGURE_NAMES = {"rows": "instances", "columns": "columns", "label": "label", "missing_cells": "missing values",
                "parity": "missingness by group", "duplicate_rows": "duplicate rows", "validation": "check outcomes",
                "representation": "subpopulations", "intersections": "intersections",
                "geography": "geography", "time_ranges": "time span", "splits": "splits"}
_ANCHORS = {"rows": "summary", "columns": "fig-columns", "label": "fig-label", "missing_cells": "fig-missingness",
            "parity": "fig-missingness", "duplicate_rows": "fig-missingness", "validation": "checks",
            "representation": "fig-representation", "intersections": "fig-intersections",
            "geography": "fig-geography", "time_ranges": "fig-time", "splits": "fig-splits"}


def anchors_for(sheet: Datasheet) -> dict[str, str]:
    """Where each figure lives in the page; a figure this version lacks points at the figures block."""
    c = sheet.computed
    present = {"label": c.label is not None, "representation": bool(c.representation),
               "intersections": bool(c.intersections), "geography": bool(c.geography),
               "time_ranges": bool(c.time_ranges), "splits": bool(c.splits)}
    return {k: (v if present.get(k, True) else "figures") for k, v in _ANCHORS.items()}


SIZE_BUCKETS = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
                (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M"), (1_000_000_000, "100M<n<1B"))


def size_category(rows: int) -> str:
    return next((name for limit, name in SIZE_BUCKETS if rows < limit), "n>1B")


def limits_text(limits: dict[str, float | int]) -> str:
    """A check's limits as the spec names them ("min_count 10, min_ratio 0.8"): what failure texts quote."""
    return ", ".join(f"{key} {value}" for key, value in limits.items())


HF_DTYPES = {"BIGINT": "int64", "INTEGER": "int32", "SMALLINT": "int16", "TINYINT": "int8", "DOUBLE": "float64",
             "FLOAT": "float32", "BOOLEAN": "bool", "VARCHAR": "string", "DATE": "date32",
             "TIMESTAMP": "timestamp[us]", "TIMESTAMP WITH TIME ZONE": "timestamp[us, tz=UTC]"}


def feature(col: ColumnInfo) -> dict:
    """A column as a Hugging Face feature: a ClassLabel with the spec's names for a column coded 0..n-1."""
    if col.class_names:
        return {"name": col.name, "dtype": {"class_label": {"names": dict(enumerate(col.class_names))}}}
    return {"name": col.name, "dtype": HF_DTYPES.get(col.type.upper(), "string")}


def bibtex(sheet: Datasheet) -> str:
    """A BibTeX entry for this version (the card's citation): title, owner, date and the md5."""
    def braced(text: str) -> str:
        return text.replace("\\", " ").replace("{", "(").replace("}", ")")

    key = re.sub(r"[^A-Za-z0-9_-]", "_", sheet.dataset) + f"_{sheet.data_md5[:8]}"
    return (f"@misc{{{key},\n  title = {{{braced(sheet.title)}}},\n  author = {{{braced(sheet.owner)}}},\n"
            f"  year = {{{sheet.generated_at.year}}},\n  note = {{Version md5 {sheet.data_md5}, certified with "
            f"datavet}}\n}}")


def front_matter(sheet: Datasheet) -> dict:
    """Hugging Face dataset-card metadata, plus what binds the card to the bytes."""
    c = sheet.computed
    tags = ["datavet", "datasheet", "tabular"]
    if sheet.relates_to_people:
        tags.append("people")
    meta: dict = {"pretty_name": sheet.title, "license": sheet.license.lower(),
                  "size_categories": [size_category(c.rows)], "tags": tags}
    if c.label is not None:
        meta["task_categories"] = ["tabular-classification"]
    # what `datavet export hf` lays out: the certified bytes as the train split, or each split's member
    files = ([{"split": s.split, "path": f"data/{s.split}.parquet"} for s in c.splits] if c.splits
             else [{"split": "train", "path": f"data/{sheet.dataset}.parquet"}])
    meta["configs"] = [{"config_name": "default", "data_files": files}]
    meta["source_datasets"] = ["original"]
    meta["annotations_creators"] = ["other" if c.label is not None else "no-annotation"]
    split_column = {"split"} if c.splits else set()  # the whole table's; a split's member has no such column
    meta["dataset_info"] = {"features": [feature(col) for col in c.columns if col.name not in split_column]}
    meta["datavet"] = {"dataset": sheet.dataset, "data_md5": sheet.data_md5,
                       "validation_result_id": sheet.validation.result_id,
                       "checks_passed": sheet.validation.success,
                       "answers_complete": not sheet.completeness.missing,
                       "generated_at": sheet.generated_at.isoformat()}
    return meta
