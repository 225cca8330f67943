"""The datasheet shows the limits of every check, passed or not: an auditor reads what each check
allowed, not only where a failure quotes it. Limits come from the spec, never from the data, so they
are shown as they are (no small-cell suppression)."""

from __future__ import annotations

import html
import json

from datavet.datasheet import build_datasheet, render_all


def _limits_text(thresholds: dict) -> str:
    return ", ".join(f"{key} {value}" for key, value in thresholds.items())


def test_every_checks_limits_are_shown(adult_gx, tmp_path) -> None:
    v = adult_gx
    sheet = build_datasheet(v.loaded, v.report, v.parquet, data_md5=v.md5)
    paths = render_all(sheet, tmp_path)
    doc = json.loads(paths["json"].read_text(encoding="utf-8"))
    page = html.unescape(paths["html"].read_text(encoding="utf-8"))
    md_rows = [line for line in paths["md"].read_text(encoding="utf-8").splitlines()
               if line.startswith(("| passed |", "| warned |", "| failed |"))]
    passed_with_limits = [r for r in v.report.checks if r.success and r.thresholds]
    assert len(passed_with_limits) >= 5  # the Adult spec's passing checks carry limits
    assert len(md_rows) == len(v.report.checks)
    for outcome, r, row in zip(doc["validation"]["checks"], v.report.checks, md_rows, strict=True):
        assert outcome["limits"] == r.thresholds
        if r.thresholds:
            assert _limits_text(r.thresholds) in page, r.subject
            assert _limits_text(r.thresholds).replace("_", "\\_") in row, row
