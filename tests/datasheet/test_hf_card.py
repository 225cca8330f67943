"""The Markdown datasheet is a Hugging Face dataset card: huggingface_hub loads its front matter
strictly, with the Hub's licence id and size bucket for each real dataset."""

from __future__ import annotations

import pytest
from huggingface_hub import DatasetCard

from datavet.datasheet import build_datasheet, render_markdown


@pytest.mark.parametrize("which, size, license_id", [("adult", "10K<n<100K", "cc-by-4.0"),
                                                     ("titanic", "n<1K", "other")])
def test_card_front_matter_loads_with_huggingface_hub(which, size, license_id, adult, titanic, tmp_path) -> None:
    v = adult if which == "adult" else titanic
    sheet = build_datasheet(v.loaded, v.report, v.parquet, data_md5=v.md5)
    path = tmp_path / "README.md"
    path.write_text(render_markdown(sheet), encoding="utf-8")
    card = DatasetCard.load(path, ignore_metadata_errors=False)
    assert card.data.size_categories == [size] and card.data.license == license_id
    assert card.data.pretty_name == v.loaded.spec.title
    assert card.data.task_categories == ["tabular-classification"]  # both have a label column
    meta = card.data.to_dict()["datavet"]
    assert meta["data_md5"] == v.md5 and meta["dataset"] == v.loaded.spec.name
    assert len(v.df) < 1000 if size == "n<1K" else 10_000 <= len(v.df) < 100_000
