"""Every figure in the rendered datasheets matches the check report (and pandas, for the profile).

Run against reports computed with pandas (adult, titanic) and against the real GX suite's report
(adult_gx: datavet.checks.run_checks end to end)."""

from __future__ import annotations

import html
import json
from pathlib import Path

import pytest
from markupsafe import escape

from datavet.checks.cells import by_text
from datavet.datasheet import build_datasheet, datasheet_md5_of, render_all
from datavet.datasheet.views import pct
from datavet.report import CheckReport


def _obs(report: CheckReport, check: str, **match) -> list:
    return [c for c in report.checks if c.check == check and all(getattr(c, k) == v for k, v in match.items())]


def _shown(n: int, threshold: int) -> str:
    return f"<{threshold}" if 0 < n < threshold else f"{n:,}"


def _display(n) -> str:
    """A count as the published report has it: a number, or "<k" / "withheld" as they are."""
    return n if isinstance(n, str) else f"{n:,}"


def _pairs(v, check: str) -> list:
    """(exact result, published result) pairs: the datasheet shows the published form (datavet.privacy),
    whose every figure is either the exact one or withheld."""
    published = v.report.published(v.loaded.spec.small_cell_threshold)
    return [(r, p) for r, p in zip(v.report.checks, published.checks, strict=True) if r.check == check]


@pytest.fixture(params=["adult", "titanic", "adult_gx"])
def rendered(request, tmp_path: Path):
    v = request.getfixturevalue(request.param)
    sheet = build_datasheet(v.loaded, v.report, v.parquet, data_md5=v.md5)
    paths = render_all(sheet, tmp_path / "out")
    docs = {k: p.read_text(encoding="utf-8") for k, p in paths.items()}
    return v, sheet, paths, docs, json.loads(docs["json"])


def test_binding_md5_in_every_document(rendered) -> None:
    v, _, paths, docs, doc = rendered
    assert set(paths) == {"md", "html", "json"}
    for path in paths.values():
        assert datasheet_md5_of(path) == v.md5
    assert doc["data_md5"] == v.md5 and v.md5 in docs["html"] and v.md5 in docs["md"]


def test_profile_figures_match_pandas(rendered) -> None:
    v, sheet, _, docs, doc = rendered
    t = v.loaded.spec.small_cell_threshold
    assert doc["computed"]["rows"] == len(v.df) == v.report.rows
    dupes = int(v.df.duplicated().sum())
    assert doc["computed"]["duplicate_rows"]["display"] == _shown(dupes, t)
    assert [c["name"] for c in doc["computed"]["columns"]] == list(v.df.columns)
    assert f"<div class=\"v\">{len(v.df):,}</div>" in docs["html"]
    assert f"**Instances (C2):** {len(v.df):,} rows" in docs["md"]


def test_missingness_matches_report(rendered) -> None:
    v, _, _, docs, doc = rendered
    t = v.loaded.spec.small_cell_threshold
    columns = {c["name"]: c for c in doc["computed"]["columns"]}
    total = 0
    for r, p in _pairs(v, "missingness"):
        n, shown = r.observed["missing_count"], p.observed["missing_count"]
        total = total + n if isinstance(total, int) and not isinstance(shown, str) else "withheld"
        col = columns[r.column]
        assert col["missing"]["display"] == _display(shown)
        assert shown == n or (isinstance(shown, str) and (shown == "withheld" or 0 < n < t))
        if isinstance(shown, str):
            assert col["missing_rate"] is None and col["missing"]["value"] is None
        else:
            assert col["missing_rate"] == pytest.approx(r.observed["missing_rate"])
            if n:  # the chart draws the most-missing columns first
                assert f"{pct(r.observed['missing_rate'], 2)} · {n:,}" in docs["html"]
    assert doc["computed"]["missing_cells"]["display"] == _display(total)
    for r, p in _pairs(v, "missingness_parity"):
        fig = next(f for f in doc["computed"]["parity"] if f["column"] == r.column and f["by"] == by_text(r.by))
        _exact_or_withheld({g["group"]: g["rate"] for g in fig["groups"]}, r, p, "group_missing_rate")
        assert fig["max_diff"] == (None if p.observed["max_diff"] is None else pytest.approx(r.observed["max_diff"]))


def _exact_or_withheld(shown: dict, exact, published, key: str) -> None:
    """Each figure the datasheet shows is the exact one, or withheld where the published report
    withholds it (datavet.privacy: small cells, complementary cells, a default breakdown left out)."""
    want = {_combo(g): x for g, x in exact.observed[key].items()}
    withheld = {_combo(g) for g, x in published.observed[key].items() if x is None}
    assert {g: x for g, x in shown.items() if g not in withheld} == pytest.approx(
        {g: x for g, x in want.items() if g not in withheld and g in shown})
    assert all(shown.get(g) is None for g in withheld)


def _combo(group: str) -> str:
    """A combination of groups as the datasheet writes it ("White | Male"; the report: "White|Male")."""
    return " | ".join(group.split("|"))


def test_representation_and_intersections_match_report(rendered) -> None:
    v, _, _, docs, doc = rendered
    spec = v.loaded.spec
    t = spec.small_cell_threshold
    text = html.unescape(docs["md"])
    for r, p in _pairs(v, "representation"):
        if r.column in spec.private_columns:
            continue  # covered by the privacy tests: labels are masked
        fig = next(f for f in doc["computed"]["representation"] if f["column"] == r.column
                   and f["has_reference"] == bool(r.observed.get("reference_shares")))
        groups = {g["group"]: g for g in fig["groups"]}
        assert set(r.observed["counts"]) <= set(groups)
        for g, n in r.observed["counts"].items():
            shown = p.observed["counts"][g]
            assert groups[g]["count"]["display"] == _display(shown)
            assert shown == n or shown == "withheld" or (shown == f"<{t}" and 0 < n < t)
            if n < t:
                assert isinstance(shown, str) or n == 0
            if not isinstance(shown, str) and p.observed["shares"][g] is not None:
                assert groups[g]["share"] == pytest.approx(r.observed["shares"][g])
                assert f"| {g} | {n:,} | {pct(r.observed['shares'][g])} |" in text
            else:
                assert groups[g]["share"] is None or n == 0
        for g, ref in (r.observed.get("reference_shares") or {}).items():
            assert groups[g]["reference_share"] == pytest.approx(ref)
        if p.observed.get("tvd") is not None:
            assert fig["tvd"] == pytest.approx(r.observed["tvd"])
    for r, p in _pairs(v, "intersectional"):
        fig = next(f for f in doc["computed"]["intersections"] if f["columns"] == r.columns)
        cells = {c["cell"]: c["count"]["display"] for c in fig["cells"]}
        assert cells == {k.replace("|", " | "): _display(n) for k, n in p.observed["cell_counts"].items()}
        assert all(p.observed["cell_counts"][k] == n for k, n in r.observed["cell_counts"].items() if n >= t
                   and not isinstance(p.observed["cell_counts"][k], str))


def test_label_and_geography_match_report(rendered) -> None:
    v, _, _, docs, doc = rendered
    label = doc["computed"]["label"]
    counts = v.df[label["column"]].astype(str).value_counts()
    assert {c["group"]: c["count"]["value"] for c in label["classes"]} == counts.to_dict()
    for r, p in _pairs(v, "label_balance"):
        fig = next(b for b in label["balance"] if b["by"] == by_text(r.by))
        _exact_or_withheld({g["group"]: g["rate"] for g in fig["positive_rates"]}, r, p, "positive_rates")
        if p.observed["disparate_impact"] is not None:
            assert fig["disparate_impact"] == pytest.approx(r.observed["disparate_impact"])
            assert f"disparate impact {r.observed['disparate_impact']:.3f}" in docs["html"]
    for r, p in _pairs(v, "geography"):
        fig = next(g for g in doc["computed"]["geography"] if g["column"] == r.column)
        for key in ("top1_share", "top5_share", "hhi", "effective_countries", "resolved_share"):
            # published exactly, or withheld: a concentration over a withheld country gives it back
            assert fig[key] == (None if p.observed[key] is None else pytest.approx(r.observed[key]))
        assert fig["top1_share"] is not None  # Adult's USA: a large group keeps its share
        assert fig["top1_country"] == r.observed["top1_country"]
        t = v.loaded.spec.small_cell_threshold
        assert {c["group"]: c["count"]["value"] for c in fig["countries"]} == {
            k: (None if isinstance(p.observed["counts"][k], str) else n) for k, n in r.observed["counts"].items()}
        assert all(isinstance(p.observed["counts"][k], str) for k, n in r.observed["counts"].items() if 0 < n < t)
        assert f"top country <b>{r.observed['top1_country']}</b> ({pct(r.observed['top1_share'])})" in docs["html"]


def test_check_outcomes_match_report(rendered) -> None:
    v, _, _, docs, doc = rendered
    outcomes = doc["validation"]["checks"]
    assert len(outcomes) == len(v.report.checks)
    for o, r in zip(outcomes, v.report.checks, strict=True):
        expected = "passed" if r.success else ("failed" if r.severity == "error" else "warned")
        assert (o["check"], o["status"], o["severity"]) == (r.check, expected, r.severity)
    assert doc["validation"]["result_id"] == v.report.validation_result_id
    assert v.report.validation_result_id in docs["html"] and v.report.validation_result_id in docs["md"]
    for r in v.report.checks:  # failure texts quoting no small count or private value appear verbatim
        for failure in r.failures:
            assert str(escape(failure)) in docs["html"], failure


def test_all_57_prompts_in_every_document(rendered) -> None:
    from datavet.datasheet import PROMPT_IDS

    _, _, _, docs, doc = rendered
    ids = [p["id"] for s in doc["sections"] for p in s["prompts"]]
    assert ids == list(PROMPT_IDS)
    for pid in PROMPT_IDS:
        assert f'id="p-{pid}"' in docs["html"]
        assert f"### {pid}. " in docs["md"]


def test_front_matter_is_a_dataset_card(rendered) -> None:
    import yaml

    v, _, _, docs, _ = rendered
    meta = yaml.safe_load(docs["md"].split("---\n")[1])
    assert meta["pretty_name"] == v.loaded.spec.title
    assert meta["license"] == v.loaded.spec.license.lower()
    assert meta["size_categories"] == ["10K<n<100K" if len(v.df) >= 10_000 else "n<1K"]
    assert meta["datavet"]["data_md5"] == v.md5 and "datavet" in meta["tags"]
