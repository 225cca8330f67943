"""Contradiction flags, atomic rendering, md5 read-back and the DuckDB profile."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

from datavet.datasheet import build_datasheet, datasheet_md5_of, profile_parquet, render_all
from datavet.datasheet.contradictions import find_contradictions
from datavet.ingest import write_parquet
from datavet.spec import LoadedSpec, parse_spec
from tests.datasheet.conftest import DATA, full_answers, titanic_spec, write_answers, write_spec


def test_contradicting_answers_are_flagged_then_cleared(titanic, tmp_path: Path) -> None:
    loaded = write_spec(tmp_path, titanic_spec(DATA / "titanic_train.csv"))
    lies = {"C2": {"answer": "The file has 1,309 passengers records, i.e. 1309 rows."},
            "C6": {"answer": "The data is complete: no missing values anywhere."},
            "C9": {"answer": "There are no duplicates."}}
    path = write_answers(loaded, full_answers("titanic", extra=lies))
    sheet = build_datasheet(loaded, titanic.report, titanic.parquet, data_md5=titanic.md5, answers_path=path)
    flagged = {c.prompt: c for c in sheet.contradictions}
    assert set(flagged) == {"C2", "C6"}  # Titanic has no exact duplicate rows, so C9 is true
    assert "891" in flagged["C2"].message and "1,309" in flagged["C2"].message
    missing = int(titanic.df.isna().sum().sum())
    # 866 missing cells, but the total minus Age's 177 and Cabin's 687 gives Embarked's 2 back: withheld
    assert missing == 866 and flagged["C6"].figure == "missing_cells = withheld"
    paths = render_all(sheet, tmp_path / "out")
    page = paths["html"].read_text(encoding="utf-8")
    assert "Contradicts the computed figures" in page and "2 contradiction(s)" in page
    assert json.loads(paths["json"].read_text())["contradictions"][0]["prompt"] == "C2"
    assert "Contradicts the computed figures" in paths["md"].read_text(encoding="utf-8")

    honest = {"C2": {"answer": "891 passengers, one row each."},
              "C6": {"answer": "Age, Cabin and Embarked are sometimes empty: the records were never found."},
              "C9": {"answer": "There are no duplicates."}}
    write_answers(loaded, full_answers("titanic", extra=honest))
    sheet = build_datasheet(loaded, titanic.report, titanic.parquet, data_md5=titanic.md5, answers_path=path)
    assert sheet.contradictions == []


def test_duplicate_claim_contradicts_adult(adult) -> None:
    found = find_contradictions({"C9": "The file does not contain any duplicates."}, rows=adult.report.rows,
                                missing_cells=0, duplicate_rows=int(adult.df.duplicated().sum()), threshold=10)
    assert [c.prompt for c in found] == ["C9"] and "24" in found[0].figure
    assert find_contradictions({"C9": "We removed no duplicates."}, rows=1, missing_cells=0, duplicate_rows=0,
                               threshold=10) == []


def test_render_all_is_all_or_nothing(titanic, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sheet = build_datasheet(titanic.loaded, titanic.report, titanic.parquet, data_md5=titanic.md5)
    out = tmp_path / "out"
    out.mkdir()
    (out / "datasheet.md").write_text("old card\n")
    real_replace = os.replace
    calls = []

    def flaky(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError("disk full")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", flaky)
    with pytest.raises(OSError, match="disk full"):
        render_all(sheet, out)
    monkeypatch.setattr(os, "replace", real_replace)
    assert sorted(p.name for p in out.iterdir()) == ["datasheet.md"]  # no temp files, no new files
    assert (out / "datasheet.md").read_text() == "old card\n"  # old bytes restored

    paths = render_all(sheet, out)
    assert sorted(p.name for p in out.iterdir()) == ["datasheet.html", "datasheet.json", "datasheet.md"]
    assert all(datasheet_md5_of(p) == titanic.md5 for p in paths.values())
    assert oct(paths["html"].stat().st_mode & 0o044) == oct(0o044)  # readable by others, like any document


def test_datasheet_md5_of_rejects_documents_without_one(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text('{"data_md5": "nope"}')
    (tmp_path / "b.md").write_text("# no front matter\n")
    (tmp_path / "c.html").write_text("<html></html>")
    (tmp_path / "d.json").write_text("not json")
    assert all(datasheet_md5_of(tmp_path / n) is None for n in ("a.json", "b.md", "c.html", "d.json", "zz.md"))


def _spec_with_time(tmp_path: Path) -> LoadedSpec:
    spec = parse_spec({"name": "events", "title": "t", "owner": "o", "license": "CC0-1.0",
                       "source": {"path": "x.csv"}, "missing_tokens": ["?"],
                       "columns": {"when": {"role": "time"}, "day": {"role": "time"},
                                   "y": {"role": "label", "positive": "1"}}}, tmp_path / "dataset.yaml")
    return LoadedSpec(spec=spec, path=tmp_path / "dataset.yaml", root=tmp_path)


def test_profile_one_pass_over_parquet(titanic, tmp_path: Path) -> None:
    loaded = _spec_with_time(tmp_path)
    df = pd.DataFrame({"when": ["2021-03-01", "?", "2019-12-31 10:00:00", "2020-06-15", "2020-06-15"],
                       "day": pd.to_datetime(["2001-01-02", "2000-05-06", None, "2003-01-01", "2003-01-01"]),
                       "y": ["1", "0", "0", "1", "1"], "v": [1.5, None, 2.0, 3.0, 3.0]})
    md5 = write_parquet(df, tmp_path / "e.parquet")
    assert md5
    p = profile_parquet(tmp_path / "e.parquet", loaded, memory_limit="64MB")
    assert p.rows == 5 and p.duplicate_rows == 1
    assert p.time_ranges["when"] == ("2019-12-31 10:00:00", "2021-03-01 00:00:00")
    assert p.time_ranges["day"][0].startswith("2000-05-06") and p.time_ranges["day"][1].startswith("2003-01-01")
    assert p.label_counts == {"y": {"1": 3, "0": 2}}
    assert p.column_types["v"] == "DOUBLE" and p.column_types["when"] == "VARCHAR"
    # titanic: no exact duplicates, and the types are the Parquet version's
    tp = profile_parquet(titanic.parquet, titanic.loaded)
    assert tp.rows == 891 and tp.duplicate_rows == int(titanic.df.duplicated().sum()) == 0
    assert tp.column_types["Age"] == "DOUBLE" and tp.column_types["Name"] == "VARCHAR"


def test_report_for_other_bytes_is_refused(titanic, adult) -> None:
    from datavet.errors import VerificationError

    with pytest.raises(VerificationError, match="re-run the checks"):
        build_datasheet(titanic.loaded, titanic.report, titanic.parquet, data_md5="0" * 32)
    with pytest.raises(VerificationError, match="dataset 'adult'"):
        build_datasheet(titanic.loaded, adult.report, titanic.parquet, data_md5=titanic.md5)
