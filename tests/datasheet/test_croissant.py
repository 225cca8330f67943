"""The Croissant 1.1 + RAI document: mlcroissant loads and validates it for Adult and Titanic, reads
the records through it, and the RAI fields state the skews measured on the real data (checked
against pandas by hand)."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import mlcroissant as mlc
import pandas as pd
import pytest

from datavet.datasheet import build_datasheet, render_all
from datavet.datasheet.croissant import Distribution, fig
from datavet.ingest import file_md5


def _written(v, root: Path) -> Path:
    """The documents in the registry's layout: datasheets/<name>/ beside data/<name>/<name>.parquet."""
    name = v.loaded.spec.name
    data = root / "data" / name / f"{name}.parquet"
    data.parent.mkdir(parents=True)
    shutil.copyfile(v.parquet, data)
    sheet = build_datasheet(v.loaded, v.report, v.parquet, data_md5=v.md5)
    paths = render_all(sheet, root / "datasheets" / name, Distribution(data, f"../../data/{name}/{name}.parquet"))
    assert set(paths) == {"md", "html", "json", "croissant"}
    return paths["croissant"]


@pytest.fixture(scope="module")
def adult_croissant(adult, tmp_path_factory) -> Path:
    return _written(adult, tmp_path_factory.mktemp("adult_croissant"))


@pytest.fixture(scope="module")
def titanic_croissant(titanic, tmp_path_factory) -> Path:
    return _written(titanic, tmp_path_factory.mktemp("titanic_croissant"))


@pytest.mark.parametrize("which", ["adult", "titanic"])
def test_mlcroissant_validates_and_reads_the_records(which, adult, titanic, adult_croissant, titanic_croissant):
    v, path = (adult, adult_croissant) if which == "adult" else (titanic, titanic_croissant)
    dataset = mlc.Dataset(jsonld=path)  # raises ValidationError on any error
    issues = dataset.metadata.ctx.issues
    assert not issues.errors and not issues.warnings, issues.report()
    assert dataset.metadata.name == v.loaded.spec.name
    # version: the documentation date in MAJOR.MINOR.PATCH, the md5 as build metadata
    day = json.loads(path.read_text(encoding="utf-8"))["datePublished"]
    year, month, date = (int(x) for x in day.split("-"))
    assert dataset.metadata.version == f"{year}.{month}.{date}+{v.md5}"
    records = dataset.records(record_set="records")
    first = [r for _, r in zip(range(3), records, strict=False)]
    frame = pd.read_parquet(v.parquet)
    column = frame.columns[1]
    key = f"records/{column}"
    got = [r[key].decode() if isinstance(r[key], bytes) else r[key] for r in first]
    assert got == frame[column].head(3).tolist()


@pytest.mark.parametrize("which", ["adult", "titanic"])
def test_distribution_names_the_exact_bytes(which, adult, titanic, adult_croissant, titanic_croissant):
    v, path = (adult, adult_croissant) if which == "adult" else (titanic, titanic_croissant)
    doc = json.loads(path.read_text(encoding="utf-8"))
    (dist,) = doc["distribution"]
    data = (path.parent / dist["contentUrl"]).resolve()
    assert dist["md5"] == file_md5(data) == v.md5 == doc["identifier"]
    assert dist["sha256"] == hashlib.sha256(data.read_bytes()).hexdigest()
    assert dist["contentSize"] == f"{data.stat().st_size} B"
    assert "http://mlcommons.org/croissant/1.1" in doc["conformsTo"]
    fields = doc["recordSet"][0]["field"]
    assert [f["name"] for f in fields] == list(pd.read_parquet(v.parquet).columns)
    described = {n: c.description for n, c in v.loaded.spec.columns.items() if c.description}
    assert {f["name"]: f.get("description") for f in fields if f["name"] in described} == described


def test_adult_rai_fields_hold_the_measured_skews(adult, adult_croissant):
    doc = json.loads(adult_croissant.read_text(encoding="utf-8"))
    df = adult.df
    biases = " ".join(doc["rai:dataBiases"])
    shares = df["sex"].value_counts() / len(df)
    ref = {"Male": 0.4925, "Female": 0.5075}  # datasheets/adult/dataset.yaml
    for group in ("Male", "Female"):
        ratio = shares[group] / ref[group]
        expected = f"{group} {fig(shares[group])} vs reference {fig(ref[group])} (ratio {fig(ratio)})"
        assert expected in biases, biases
    rates = (df["income"] == ">50K").groupby(df["sex"]).mean()
    assert f"disparate impact {fig(rates.min() / rates.max())}" in biases
    assert f"parity difference {fig(rates.max() - rates.min())}" in biases
    race = df["race"].value_counts() / len(df)
    assert f"Other {fig(race['Other'])} vs reference 0.2070" in biases
    missing = doc["rai:dataCollectionMissingData"]
    occupation = (df["occupation"] == "?").sum()
    assert f"occupation: {occupation:,} missing cells (rate {fig(occupation / len(df))}), written as '?'" in missing
    # answers reach their RAI properties
    answers = __import__("yaml").safe_load(adult.loaded.answers_path.read_text())["answers"]
    assert " ".join(answers["K1"]["answer"].split()) in doc["rai:dataCollection"]
    assert f"Not to be used for: {' '.join(answers['U5']['answer'].split())}" in doc["rai:dataUseCases"]
    assert " ".join(answers["X4"]["answer"].split()) in doc["rai:dataReleaseMaintenancePlan"]
    assert "Columns marked protected in the spec: race, sex." in doc["rai:personalSensitiveInformation"]
    limits = " ".join(doc["rai:dataLimitations"])
    assert f"{df.duplicated().sum()} rows repeat an earlier row exactly." in limits


def test_titanic_small_cells_stay_withheld(titanic, titanic_croissant):
    doc = json.loads(titanic_croissant.read_text(encoding="utf-8"))
    counts = titanic.df["SibSp"].astype(str).value_counts()
    small = [g for g, n in counts.items() if 0 < n < 10]
    assert small
    biases = " ".join(doc["rai:dataBiases"])
    for group in small:
        assert f"{group} <10 rows (share withheld: small cell)" in biases
        share = counts[group] / len(titanic.df)
        assert f"{group} {fig(share)}" not in biases


def test_licence_url_and_collection_timeframe(adult, titanic, adult_croissant, titanic_croissant):
    """An SPDX licence id becomes its URL ("other" stays text); the collection timeframe comes from the
    years the answer to K5 names (Adult: "1994 ... 1996"), read by mlcroissant as dates."""
    import re

    from datavet.datasheet.croissant import licence

    adult_doc = json.loads(adult_croissant.read_text(encoding="utf-8"))
    assert adult_doc["license"] == "https://spdx.org/licenses/CC-BY-4.0.html"
    assert json.loads(titanic_croissant.read_text(encoding="utf-8"))["license"] == "other"
    assert licence("https://example.org/terms") == "https://example.org/terms"
    assert licence("Free for research, ask first") == "Free for research, ask first"
    answers = __import__("yaml").safe_load(adult.loaded.answers_path.read_text())["answers"]
    years = sorted({int(y) for y in re.findall(r"\b(?:19|20)\d\d\b", answers["K5"]["answer"])})
    assert adult_doc["rai:dataCollectionTimeframe"] == [f"{years[0]}-01-01", f"{years[-1]}-12-31"]
    assert years[0] == 1994 and years[-1] == 1996
    assert f"Collection period: {' '.join(answers['K5']['answer'].split())}" in adult_doc["rai:dataCollection"]
    metadata = mlc.Dataset(jsonld=adult_croissant).metadata
    assert [d.year for d in metadata.data_collection_timeframe] == [1994, 1996]
