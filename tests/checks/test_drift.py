"""The drift check against the newest certified version: a previous version (most of one group's rows
cut) is certified into a real git + DVC registry, then the full data is checked against it on both
engines. Every figure is compared with an independent pandas computation on Adult and German credit;
the published form withholds small cells. Edge cases: test_drift_edges.py."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from datavet.changes import metrics_of
from datavet.checks import run_checks
from datavet.checks.drift import (
    FILLED_IN,
    FIRST_VERSION,
    drift_changes,
)
from datavet.ingest import read_source, write_parquet
from datavet.pipeline import run_all
from datavet.registry import Registry
from datavet.settings import Settings
from datavet.spec import load_spec
from tests.checks.conftest import adult_spec, by_check, make_loaded
from tests.checks.test_datasets import german_spec
from tests.datasheet.conftest import full_answers

ENGINES = ("duckdb", "pandas")


class TwoVersions:
    """``previous`` certified as <name>/certified/1 in a real registry; ``new`` checked against it."""

    def __init__(self, root: Path, spec: dict[str, Any], cut: Callable[[pd.DataFrame], pd.DataFrame]) -> None:
        name = spec["name"]
        self.new = read_source(make_loaded(root / "read", spec)[0])
        self.previous = cut(self.new)
        source = root / "source.parquet"
        write_parquet(self.previous, source)
        spec = {**spec, "source": {"path": str(source)}, "datasheet": f"datasheets/{name}/answers.yaml"}
        folder = root / "project" / "datasheets" / name
        folder.mkdir(parents=True)
        (folder / "dataset.yaml").write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
        (folder / "answers.yaml").write_text(yaml.safe_dump(full_answers(name)), encoding="utf-8")
        home = root / "project" / ".datavet"
        self.settings = Settings(project=root / "project", registry=home / "registry", remote=str(home / "remote"),
                                 gx_root=root / "project" / "gx")
        self.loaded = load_spec(folder / "dataset.yaml")
        _, cert, created = run_all(self.loaded, self.settings)
        assert created and cert is not None
        self.tag, self.previous_md5 = cert.tag, cert.md5
        registry = Registry.of(self.settings)
        from datavet.report import CheckReport

        self.first = CheckReport.model_validate_json(
            registry.show(cert.tag, registry.validation_path(name, cert.md5)))
        self.parquet = root / "new.parquet"
        self.md5 = write_parquet(self.new, self.parquet)
        self.reports = {engine: run_checks(self.loaded, self.parquet if engine == "duckdb" else self.new,
                                           data_hash=self.md5, engine=engine, settings=self.settings, store=False)
                        for engine in ENGINES}


def _missing(s: pd.Series, tokens: list[str]) -> pd.Series:
    return s.isna() | s.astype(str).str.strip().isin(tokens)


def expected_shares(new: pd.DataFrame, old: pd.DataFrame, column: str, tokens: list[str]) -> dict[str, Any]:
    a = new.loc[~_missing(new[column], tokens), column].astype(str).value_counts()
    b = old.loc[~_missing(old[column], tokens), column].astype(str).value_counts()
    groups = sorted(set(a.index) | set(b.index))
    a, b = a.reindex(groups, fill_value=0), b.reindex(groups, fill_value=0)
    sa, sb = a / a.sum(), b / b.sum()
    return {"counts": a.to_dict(), "previous_counts": b.to_dict(), "shares": sa.to_dict(),
            "previous_shares": sb.to_dict(), "share_changes": (sa - sb).to_dict(),
            "tvd": float(0.5 * (sa - sb).abs().sum()),
            "appeared": [g for g in groups if a[g] and not b[g]],
            "disappeared": [g for g in groups if b[g] and not a[g]]}


def _rates(df: pd.DataFrame, label: str, by: list[str], positive: str, tokens: list[str]) -> pd.DataFrame:
    keep = ~pd.concat([_missing(df[c], tokens) for c in by], axis=1).any(axis=1)
    df = df.loc[keep]
    labelled = df.loc[~_missing(df[label], tokens)]
    key = labelled[by].astype(str).agg("|".join, axis=1)
    rows = key.value_counts()
    pos = key[labelled[label].astype(str).str.strip() == positive].value_counts()
    all_cells = df[by].astype(str).agg("|".join, axis=1).unique()  # cells whose labels are all missing have 0 rows
    return pd.DataFrame({"rows": rows, "positives": pos}).reindex(sorted(all_cells)).fillna(0).astype(int)


def expected_rates(new: pd.DataFrame, old: pd.DataFrame, label: str, by: list[str], positive: str,
                   tokens: list[str]) -> dict[str, Any]:
    a, b = _rates(new, label, by, positive, tokens), _rates(old, label, by, positive, tokens)
    groups = sorted(set(a.index) | set(b.index))
    a, b = a.reindex(groups, fill_value=0), b.reindex(groups, fill_value=0)
    ra = {g: (a.positives[g] / a.rows[g] if a.rows[g] else None) for g in groups}
    rb = {g: (b.positives[g] / b.rows[g] if b.rows[g] else None) for g in groups}
    changes = {g: (ra[g] - rb[g] if ra[g] is not None and rb[g] is not None else None) for g in groups}
    defined = {g: abs(d) for g, d in changes.items() if d is not None}
    top = max(defined.values())
    return {"rows": a.rows.to_dict(), "previous_rows": b.rows.to_dict(), "positive_rates": ra,
            "previous_positive_rates": rb, "rate_changes": changes, "largest_rate_change": top,
            "largest_change_group": sorted(g for g, d in defined.items() if d == top)[0],
            "appeared": [g for g in groups if a.rows[g] and not b.rows[g]],
            "disappeared": [g for g in groups if b.rows[g] and not a.rows[g]]}


def assert_figures(observed: dict[str, Any], expected: dict[str, Any]) -> None:
    for key, want in expected.items():
        got = observed[key]
        if isinstance(want, dict):
            assert set(got) == set(want), key
            for g, v in want.items():
                if v is None or isinstance(v, (int, str)):
                    assert got[g] == v, (key, g)
                else:
                    assert got[g] == pytest.approx(float(v), abs=1e-12), (key, g)
        elif isinstance(want, float):
            assert got == pytest.approx(want, abs=1e-12), key
        else:
            assert got == want, key


def table(columns: list[str], frame: pd.DataFrame) -> dict[str, Any]:
    counts = frame.groupby(columns, dropna=False).size()
    return {"columns": columns, "rows": [[list(k) if isinstance(k, tuple) else [k], int(n)] for k, n in counts.items()]}


# ---- Adult: previous version with 90 % of the Black rows cut, 3 rows of "Other" and no Amer-Indian women

def adult_cut(df: pd.DataFrame) -> pd.DataFrame:
    black = df.index[df["race"] == "Black"]
    other = df.index[df["race"] == "Other"]
    indian_women = df.index[(df["race"] == "Amer-Indian-Eskimo") & (df["sex"] == "Female")]
    dropped = set(black) - set(black[::10]) | set(other[3:]) | set(indian_women)
    return df.drop(index=sorted(dropped)).reset_index(drop=True)


ADULT_DRIFT = [{"column": "race", "max_tvd": 0.05}, {"column": "occupation", "max_tvd": 0.05},
               {"column": "income", "by": "sex", "max_rate_change": 0.05},
               {"column": "income", "by": ["sex", "race"], "max_rate_change": 0.05}]


@pytest.fixture(scope="module")
def adult(tmp_path_factory) -> TwoVersions:
    spec = adult_spec()
    spec["checks"] = {"missingness": {"max_rate": 1.0}, "drift": ADULT_DRIFT}
    return TwoVersions(tmp_path_factory.mktemp("drift-adult"), spec, adult_cut)


def test_first_version_passes_with_a_note(adult):
    drift = by_check(adult.first, "drift")
    assert len(drift) == 4 and all(r.success for r in drift)
    for r in drift:
        assert FIRST_VERSION in r.notes
        assert r.observed["previous_tag"] is None
    (race,) = by_check(adult.first, "drift", column="race")
    counts = adult.previous["race"].value_counts()
    assert race.observed["tvd"] is None
    # exact, or withheld as a complementary cell (the default breakdowns publish small race x missing cells)
    for group, n in race.observed["counts"].items():
        if n == "withheld":
            assert any(w["why"] == "complementary" and f"race={group}" in w["cell"] for w in adult.first.withheld_cells)
        elif not (isinstance(n, str) and n.startswith("<")):
            assert n == counts[group], group


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("column", ["race", "occupation"])
def test_adult_shares_against_pandas(adult, engine, column):
    (r,) = by_check(adult.reports[engine], "drift", column=column)
    want = expected_shares(adult.new, adult.previous, column, ["?"])
    assert_figures(r.observed, want)
    assert r.observed["previous_tag"] == adult.tag == "adult/certified/1"
    assert r.observed["previous_md5"] == adult.previous_md5
    assert r.success == (want["tvd"] <= 0.05)
    if column == "race":  # the cut Black rows: a large drift
        assert not r.success and want["tvd"] > 0.05
        assert f"tvd = {want['tvd']:.3g} > max_tvd 0.05" in r.failures
    if column == "occupation":  # "?" is missing: no group
        assert "?" not in r.observed["counts"]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("by", ["sex", ["sex", "race"]])
def test_adult_rates_against_pandas(adult, engine, by):
    (r,) = by_check(adult.reports[engine], "drift", column="income", by=by)
    cols = [by] if isinstance(by, str) else by
    want = expected_rates(adult.new, adult.previous, "income", cols, ">50K", ["?"])
    assert_figures(r.observed, want)
    over = sorted(g for g, d in want["rate_changes"].items() if d is not None and abs(d) > 0.05)
    assert r.success == (not over)
    assert sorted(v["group"] for v in r.violations) == over
    if by != "sex":  # a group absent from the previous version: appeared, no rate change, fails nothing
        assert "Female|Amer-Indian-Eskimo" in r.observed["appeared"]
        assert r.observed["rate_changes"]["Female|Amer-Indian-Eskimo"] is None
        assert "Female|Amer-Indian-Eskimo" not in over


def test_adult_published_form_withholds_small_cells(adult):
    published = adult.reports["duckdb"].published(10)
    (race,) = by_check(published, "drift", column="race")
    assert race.observed["previous_counts"]["Other"] == "<10"  # 3 rows in the certified version
    for key in ("previous_shares", "share_changes"):
        assert race.observed[key]["Other"] is None, key
    # not small now: its count and share now stay (without the previous share or the change they give
    # nothing of the certified version's 3 rows back)
    now = int((adult.new["race"] == "Other").sum())
    assert race.observed["counts"]["Other"] == now and race.observed["shares"]["Other"] == now / len(adult.new)
    assert race.observed["share_changes"]["Black"] is not None  # large in both versions: published
    (cells,) = by_check(published, "drift", column="income", by=["sex", "race"])
    small = [g for g, n in cells.observed["previous_rows"].items() if isinstance(n, str)]
    assert "Female|Other" in small
    for g in small:
        assert cells.observed["rate_changes"][g] is None and cells.observed["previous_positive_rates"][g] is None
    exact = by_check(adult.reports["duckdb"], "drift", column="income", by=["sex", "race"])[0]
    assert exact.observed["rate_changes"]["Female|Other"] is not None  # the exact report decides with it
    # the largest change is over every group, withheld ones included: withheld with them
    assert small and cells.observed["largest_rate_change"] is None
    for v in cells.violations:  # a small group's violation is said without its figure
        assert (v["group"] in small) == v.get("withheld", False)


def test_adult_metrics(adult):
    metrics = metrics_of(adult.reports["duckdb"], 10)
    want = expected_shares(adult.new, adult.previous, "race", ["?"])
    # Other is small in the certified version: its change is left out, and so is the TVD (twice the TVD
    # minus the other groups' changes would give Other's change, and so its certified share, back)
    assert want["tvd"] > 0 and metrics["drift_tvd"]["race"] is None
    assert "Other" not in metrics["drift_share_change"]["race"]
    assert metrics["drift_share_change"]["race"]["Black"] == pytest.approx(want["share_changes"]["Black"], abs=1e-12)
    rates = expected_rates(adult.new, adult.previous, "income", ["sex"], ">50K", ["?"])
    assert metrics["drift_largest_rate_change"]["income_by_sex"] == pytest.approx(rates["largest_rate_change"],
                                                                                  abs=1e-12)
    assert metrics_of(adult.first, 10).get("drift_tvd") is None  # a first version has no drift metric


def test_changes_section_figures(adult):
    figures = drift_changes(adult.reports["duckdb"].published(10).checks)
    assert sorted(str((f.column, f.by)) for f in figures) == sorted(str((d["column"], d.get("by")))
                                                                    for d in ADULT_DRIFT)
    (race,) = [f for f in figures if f.column == "race"]
    assert race.tvd is None  # Other's certified 3 rows: the TVD minus the published changes gives them back
    assert race.previous_tag == "adult/certified/1" and not race.success


def test_the_suite_file_keeps_no_figures_of_the_previous_version(adult):
    """The suite is committed with the project: it names the previous version, its counts (which may be
    small cells) are filled in on the suite in memory; plain GX on the file says what to do."""
    suite = json.loads((adult.settings.expectations_dir / "adult.json").read_text())
    drift = [e for e in suite["expectations"] if e["meta"]["datavet"]["check"] == "drift"]
    assert len(drift) == 4
    for e in drift:
        assert e["kwargs"]["previous"] == f"adult/certified/1 (md5 {adult.previous_md5}): {FILLED_IN}"
    from datavet.gx.expectations.expect_column_to_match_previous_certified_version import (
        ExpectColumnToMatchPreviousCertifiedVersion,
    )

    expectation = ExpectColumnToMatchPreviousCertifiedVersion(**drift[0]["kwargs"])
    with pytest.raises(ValueError, match="validate it with datavet"):
        expectation._outcome(table([drift[0]["kwargs"]["column"]], adult.new), {})


# ---- German credit: previous version with 4/5 of A92 cut and 5 A202 rows left

def german_cut(df: pd.DataFrame) -> pd.DataFrame:
    a92 = df.index[df["personal_status_sex"] == "A92"]
    a202 = df.index[df["foreign_worker"] == "A202"]
    dropped = (set(a92) - set(a92[::5])) | set(a202[5:])
    return df.drop(index=sorted(dropped)).reset_index(drop=True)


@pytest.fixture(scope="module")
def german(tmp_path_factory) -> TwoVersions:
    spec = german_spec()
    spec["checks"] = {"missingness": {"max_rate": 1.0},
                      "drift": [{"column": "personal_status_sex", "max_tvd": 0.1},
                                {"column": "foreign_worker", "max_tvd": 0.1},
                                {"column": "risk", "by": "personal_status_sex", "max_rate_change": 0.05},
                                {"column": "risk", "by": ["foreign_worker", "personal_status_sex"],
                                 "max_rate_change": 0.2, "severity": "warning"}]}
    return TwoVersions(tmp_path_factory.mktemp("drift-german"), spec, german_cut)


@pytest.mark.parametrize("engine", ENGINES)
def test_german_against_pandas(german, engine):
    report = german.reports[engine]
    for column in ("personal_status_sex", "foreign_worker"):
        (r,) = by_check(report, "drift", column=column)
        want = expected_shares(german.new, german.previous, column, [])
        assert_figures(r.observed, want)
        assert r.success == (want["tvd"] <= 0.1)
    for by in ("personal_status_sex", ["foreign_worker", "personal_status_sex"]):
        (r,) = by_check(report, "drift", column="risk", by=by)
        want = expected_rates(german.new, german.previous, "risk", [by] if isinstance(by, str) else by, "1", [])
        assert_figures(r.observed, want)
        limit = 0.05 if isinstance(by, str) else 0.2
        assert r.success == all(d is None or abs(d) <= limit for d in want["rate_changes"].values())


def test_german_small_previous_group_is_withheld(german):
    published = german.reports["duckdb"].published(10)
    (r,) = by_check(published, "drift", column="foreign_worker")
    assert r.observed["previous_counts"]["A202"] == "<10"
    assert r.observed["share_changes"]["A202"] is None
    assert r.observed["tvd"] is None  # two groups: the TVD is A202's change


def test_an_outside_reader_recovers_nothing_across_versions(adult, german):
    """tests/privacy/attacker.py on the published drift figures (both versions' counts, shares, rates
    and changes, one minus the others): no withheld cell of either version comes back."""
    from tests.privacy.attacker import recovered

    for versions in (adult, german):
        doc = json.loads(versions.reports["duckdb"].published(10).to_json())
        assert recovered(doc, 10) == []


def test_card_with_drift_renders_as_gfm(adult):
    """The changes section with its drift table, through a GFM renderer: no paragraph becomes a table row."""
    from datavet.changes import compute_changes
    from datavet.datasheet import build_datasheet, render_markdown
    from tests.datasheet.test_markdown_gfm import card_body, swallowed_lines

    report = adult.reports["duckdb"]
    changes = compute_changes(new_report=report, old_report=adult.first, previous_tag=adult.tag,
                              rows_added_removed=(len(adult.new) - len(adult.previous), 0), new_answers={},
                              old_answers={}, small_cell_threshold=10)
    assert changes.drift
    sheet = build_datasheet(adult.loaded, report, adult.parquet, data_md5=adult.md5)
    markdown = card_body(render_markdown(sheet.model_copy(update={"changes": changes})))
    assert "### Drift against" in markdown and swallowed_lines(markdown) == []
