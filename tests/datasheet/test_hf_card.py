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


def test_card_metadata_for_the_hub(tmp_path) -> None:
    """configs/data_files as `datavet export hf` lays the folder out, source_datasets,
    annotations_creators, a BibTeX citation, and ClassLabel names for a column coded 0..n-1 (Titanic's
    Survived); codes that do not start at 0 (Pclass 1-3) stay plain integers."""
    import yaml

    from tests.datasheet.conftest import (
        DATA,
        full_answers,
        make_version,
        titanic_spec,
        write_answers,
        write_spec,
    )

    spec = titanic_spec(DATA / "titanic_train.csv")
    spec["columns"]["Survived"] = {"values": {0: "died", 1: "survived"}, "description": "survived the sinking"}
    spec["columns"]["Pclass"] = {"role": "protected", "values": {1: "first", 2: "second", 3: "third"}}
    del spec["checks"]["label_balance"]
    loaded = write_spec(tmp_path, spec)
    write_answers(loaded, full_answers("titanic"))
    v = make_version(loaded, tmp_path / "version")
    sheet = build_datasheet(v.loaded, v.report, v.parquet, data_md5=v.md5)
    path = tmp_path / "README.md"
    path.write_text(render_markdown(sheet), encoding="utf-8")
    card = DatasetCard.load(path, ignore_metadata_errors=False)
    meta = card.data.to_dict()
    assert meta["configs"] == [{"config_name": "default",
                                "data_files": [{"split": "train", "path": "data/titanic.parquet"}]}]
    assert meta["source_datasets"] == ["original"] and meta["annotations_creators"] == ["no-annotation"]
    features = {f["name"]: f["dtype"] for f in meta["dataset_info"]["features"]}
    assert list(features) == list(v.df.columns)
    assert features["Survived"] == {"class_label": {"names": {0: "died", 1: "survived"}}}
    assert sorted(v.df["Survived"].unique().tolist()) == [0, 1]  # the codes are the ClassLabel ids
    assert features["Pclass"] == "int64" and features["Name"] == "string" and features["Fare"] == "float64"
    citation = card.text.split("## Citation", 1)[1].split("```bibtex\n", 1)[1].split("```", 1)[0]
    assert citation.startswith(f"@misc{{titanic_{v.md5[:8]},") and v.md5 in citation
    assert f"title = {{{spec['title']}}}" in citation
    assert yaml.safe_load(path.read_text().split("---\n")[1])["datavet"]["data_md5"] == v.md5
