"""What is published: small counts suppressed, private values never shown, untrusted text escaped."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pandas as pd

from datavet.datasheet import build_datasheet, render_all
from datavet.privacy.masking import ValueMasker, publish_count, scrub_text
from tests.datasheet.conftest import DATA, INJECTED, full_answers, make_version, titanic_spec, write_answers, write_spec


def _render(v, out: Path) -> tuple[dict, dict[str, str]]:
    sheet = build_datasheet(v.loaded, v.report, v.parquet, data_md5=v.md5)
    paths = render_all(sheet, out)
    docs = {k: p.read_text(encoding="utf-8") for k, p in paths.items()}
    return json.loads(docs["json"]), docs


def _sibsp(doc: dict) -> dict[str, dict]:
    fig = next(f for f in doc["computed"]["representation"] if f["column"] == "SibSp")
    return {g["group"]: g for g in fig["groups"]}


def test_small_cells_suppressed_then_shown_when_threshold_allows(titanic, tmp_path: Path) -> None:
    counts = titanic.df["SibSp"].astype(str).value_counts()
    small = {g: int(n) for g, n in counts.items() if n < 10}
    assert small == {"5": 5, "8": 7}  # real data: two SibSp groups are rarer than the threshold
    doc, docs = _render(titanic, tmp_path / "t10")
    groups = _sibsp(doc)
    for g in small:  # suppressed: "<10", exact count and share withheld everywhere
        assert groups[g]["count"] == {"value": None, "display": "<10", "suppressed": True}
        assert groups[g]["share"] is None
    md = html.unescape(docs["md"])
    assert "| 5 | <10 | n/a |" in md and "| 8 | <10 | n/a |" in md
    assert "| 5 | 5 |" not in md and "| 8 | 7 |" not in md
    assert "&lt;10" in docs["html"] and f"{5 / len(titanic.df):.1%}" not in docs["html"]

    # the same data with a threshold of 5: 7 is published, 5 is not below it either
    loaded = write_spec(tmp_path / "t5", titanic_spec(DATA / "titanic_train.csv", small_cell_threshold=5))
    write_answers(loaded, full_answers("titanic"))
    v5 = make_version(loaded, tmp_path / "t5" / "version")
    doc5, docs5 = _render(v5, tmp_path / "t5" / "out")
    groups5 = _sibsp(doc5)
    assert groups5["8"]["count"] == {"value": 7, "display": "7", "suppressed": False}
    assert groups5["5"]["count"]["value"] == 5 and groups5["5"]["share"] is not None
    assert "| 8 | 7 |" in html.unescape(docs5["md"])


def test_private_column_values_never_published(titanic, tmp_path: Path) -> None:
    doc, docs = _render(titanic, tmp_path)
    spec = titanic.loaded.spec
    raw = set()
    for col in spec.private_columns:
        raw |= {str(v) for v in titanic.df[col].dropna().unique() if len(str(v)) >= 3}
    everything = "\n".join(docs.values())
    leaked = [v for v in raw if v in everything and not v.isdigit()]
    assert not leaked, leaked[:5]
    cabin = next(f for f in doc["computed"]["representation"] if f["column"] == "Cabin")
    assert all(re.fullmatch(r"Cabin group \d+", g["group"]) for g in cabin["groups"])
    # the masks keep the shape: one published group per distinct cabin
    assert len(cabin["groups"]) == titanic.df["Cabin"].nunique()


def test_injected_script_is_text_in_every_document(titanic_injected, tmp_path: Path) -> None:
    doc, docs = _render(titanic_injected, tmp_path)
    embarked = next(f for f in doc["computed"]["representation"] if f["column"] == "Embarked")
    assert INJECTED in {g["group"] for g in embarked["groups"]}  # JSON keeps the data as data
    assert "<script" not in docs["html"].lower()
    assert html.escape(INJECTED[:20], quote=False) in docs["html"]
    assert "<script" not in docs["md"].lower() and "&lt;script&gt;" in docs["md"]


def test_failure_texts_are_scrubbed() -> None:
    mask = ValueMasker({"Cabin"})
    mask.learn("Cabin", {"C85": 3, "B42": 1})
    text = scrub_text("group 'C85' has 3 rows < min_count 10; B42 has 1 row; total 891", mask, 10)
    assert "C85" not in text and "B42" not in text and "3 rows" not in text
    assert "Cabin group 1" in text and "min_count 10" in text and "891" in text
    assert publish_count(0, 10).display == "0" and publish_count(9, 10).display == "<10"
    assert publish_count(10, 10).display == "10"


def test_missing_counts_below_threshold_are_suppressed(titanic, tmp_path: Path) -> None:
    assert int(titanic.df["Embarked"].isna().sum()) == 2
    doc, docs = _render(titanic, tmp_path)
    emb = next(c for c in doc["computed"]["columns"] if c["name"] == "Embarked")
    assert emb["missing"]["display"] == "<10" and emb["missing_rate"] is None
    row = next(line for line in html.unescape(docs["md"]).splitlines() if line.startswith("| Embarked |"))
    assert "<10" in row and "withheld" in row and pd.notna(row)
