"""The ``leakage`` check: planted exact copies and near copies (resized to 90 %, re-encoded at JPEG
quality 70) of FairFace faces across splits are all found, with none among 1,000 distinct faces;
label conflicts among copies counted; rows shared between splits of a table (Titanic) and rows
repeated in Adult equal pandas."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image

from datavet.checks import run_checks
from datavet.errors import ChecksFailed
from datavet.pipeline import validate, version
from datavet.privacy import publish_result
from datavet.spec import load_spec
from tests.conftest import SHARED_DATA, adult_spec_dict, make_project
from tests.images.conftest import FAIRFACE, MANIFEST, fairface_project

EXACT, RESIZED, RECODED = (1, 2, 3), (4, 5, 6), (7, 8, 9)
CONFLICT = 5  # its resized copy is labelled with the other gender


def _jpeg(img: Image.Image, quality: int) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


@pytest.fixture(scope="module")
def splits(tmp_path_factory) -> tuple[Path, Path, pd.DataFrame]:
    """Faces 1-700 in train/, 701-1000 in test/, and in test/ the planted copies of train faces."""
    root = tmp_path_factory.mktemp("splits")
    labels = pd.read_csv(MANIFEST, keep_default_na=False).set_index("file")
    rows = []
    for n in range(1, 1001):
        rel = f"{'train' if n <= 700 else 'test'}/{n}.jpg"
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(FAIRFACE / f"{n}.jpg", root / rel)
        rows.append({"file": rel, **labels.loc[f"fairface/val/{n}.jpg"].to_dict()})
    for n in (*EXACT, *RESIZED, *RECODED):
        with Image.open(FAIRFACE / f"{n}.jpg") as img:
            rgb = img.convert("RGB")
        rel = f"test/copy_{n}.jpg"
        if n in EXACT:
            shutil.copyfile(FAIRFACE / f"{n}.jpg", root / rel)
        elif n in RESIZED:
            w, h = rgb.size
            (root / rel).write_bytes(_jpeg(rgb.resize((round(w * 0.9), round(h * 0.9)), Image.LANCZOS), 95))
        else:
            (root / rel).write_bytes(_jpeg(rgb, 70))
        row = {"file": rel, **labels.loc[f"fairface/val/{n}.jpg"].to_dict()}
        if n == CONFLICT:
            row["gender"] = "Female" if row["gender"] == "Male" else "Male"
        rows.append(row)
    manifest = pd.DataFrame(rows)
    manifest.to_csv(root / "labels.csv", index=False)
    return root, root / "labels.csv", manifest


def test_planted_copies_across_splits_are_all_found(splits, tmp_path: Path) -> None:
    root, manifest_path, manifest = splits
    project = fairface_project(tmp_path, ["train/*.jpg", "test/*.jpg"],
                               {"leakage": {"split_column": "split", "labels": ["gender", "race"],
                                            "severity": "warning"}},
                               files_root=root, manifest=manifest_path, small_cell_threshold=1)
    spec = project.spec_path.read_text().replace("source:\n", "source:\n  labels_from_path: ^(?P<split>train|test)/\n")
    project.spec_path.write_text(spec)
    loaded = project.loaded()
    report = validate(loaded, project.settings, version(loaded, project.settings).md5)
    result = next(c for c in report.checks if c.check == "leakage")
    o = result.observed
    assert o["splits"] == ["test", "train"]
    assert o["shared_files"] == 2 * len(EXACT)  # each copy and its original
    assert o["near_duplicate_files"] == 2 * (len(RESIZED) + len(RECODED))
    assert o["within"] == {"test": {"duplicate_files": 0, "near_duplicate_files": 0},
                           "train": {"duplicate_files": 0, "near_duplicate_files": 0}}
    assert o["label_conflicts"] == 1 and o["label_conflict_files"] == 2
    assert o["shared_rows"] is None and not result.success
    assert "shared_files = 6 > max_shared_files 0" in result.failures
    split_sizes = manifest["file"].str.split("/").str[0].value_counts().to_dict()
    assert split_sizes == {"train": 700, "test": 309}
    assert report.rows == len(manifest)
    published = publish_result(result.model_copy(deep=True), 10).observed  # as a threshold of 10 publishes it
    assert published["shared_files"] == published["label_conflict_files"] == published["label_conflicts"] == "<10"
    assert published["near_duplicate_files"] == 12 and published["within"]["test"]["duplicate_files"] == 0


def test_no_false_positives_among_1000_distinct_faces(splits, tmp_path: Path) -> None:
    root, manifest_path, _ = splits
    project = fairface_project(tmp_path, ["train/[0-9]*.jpg", "test/[0-9]*.jpg"],
                               {"leakage": {"labels": ["gender"]}}, files_root=root, manifest=manifest_path)
    files = project.spec_path.read_text()
    assert "labels_from_path" not in files
    loaded = project.loaded()
    report = validate(loaded, project.settings, version(loaded, project.settings).md5)
    o = next(c for c in report.checks if c.check == "leakage").observed
    assert report.rows == 1000 and report.success
    assert (o["shared_files"], o["near_duplicate_files"], o["label_conflicts"]) == (0, 0, 0)


def test_within_one_dataset_a_near_copy_blocks(splits, tmp_path: Path) -> None:
    root, manifest_path, _ = splits
    project = fairface_project(tmp_path, ["train/1*.jpg", "test/copy_1*.jpg", "test/copy_4.jpg"],
                               {"leakage": {}}, files_root=root, manifest=manifest_path, small_cell_threshold=1)
    loaded = project.loaded()
    with pytest.raises(ChecksFailed) as failed:
        validate(loaded, project.settings, version(loaded, project.settings).md5)
    assert "shared_files = 2 > max_shared_files 0" in failed.value.summary
    assert "near_duplicate_files" not in failed.value.summary  # 4 is not under train/1*


def _titanic_splits(tmp_path: Path) -> tuple[Path, pd.DataFrame]:
    df = pd.read_csv(SHARED_DATA / "titanic_train.csv", keep_default_na=False, dtype=str)
    train, test = df.iloc[:600].assign(split="train"), df.iloc[600:].assign(split="test")
    leaked = df.iloc[[3, 50, 51, 400]].assign(split="test")
    both = pd.concat([train, test, leaked])
    path = tmp_path / "titanic_splits.csv"
    both.to_csv(path, index=False)
    return path, both


def test_rows_shared_between_splits_of_a_table_equal_pandas(tmp_path: Path) -> None:
    path, both = _titanic_splits(tmp_path)
    spec = {"name": "titanic", "title": "Titanic", "owner": "qa@example.org", "license": "CC0-1.0",
            "source": {"path": str(path), "format": "csv"},
            "columns": {"Sex": {"role": "protected"}},
            "checks": {"leakage": {"split_column": "split", "max_shared_rows": 100},
                       "representation": [{"column": "Sex"}]}}
    loaded = load_spec(make_project(tmp_path / "p", spec))
    report = run_checks(loaded, path, engine="duckdb", store=False)
    o = next(c for c in report.checks if c.check == "leakage").observed
    content = [c for c in both.columns if c != "split"]
    in_splits = both.groupby(content)["split"].transform("nunique")
    assert o["shared_rows"] == int((in_splits > 1).sum()) == 8
    test = both[both.split == "test"]
    assert o["within"]["test"]["duplicate_rows"] == int(test.duplicated(content, keep=False).sum())


def test_rows_repeated_in_adult_equal_pandas(tmp_path: Path) -> None:
    spec = adult_spec_dict()
    spec["checks"] = {"leakage": {"max_shared_rows": 0}}
    loaded = load_spec(make_project(tmp_path, spec))
    names = spec["source"]["options"]["names"]
    df = pd.read_csv(SHARED_DATA / "adult.data", header=None, names=names, skipinitialspace=True)
    repeated = int(df.duplicated(keep=False).sum())
    report = run_checks(loaded, SHARED_DATA / "adult.data", engine="pandas", store=False)
    result = next(c for c in report.checks if c.check == "leakage")
    assert result.observed["shared_rows"] == repeated > 0 and not result.success
    assert result.observed["shared_files"] is None


def test_a_private_split_column_is_refused(tmp_path: Path) -> None:
    from datavet.spec import SpecError

    path, _ = _titanic_splits(tmp_path)
    spec = {"name": "titanic", "title": "Titanic", "owner": "qa@example.org", "license": "CC0-1.0",
            "source": {"path": str(path), "format": "csv"}, "columns": {"split": {"role": "sensitive"}},
            "checks": {"leakage": {"split_column": "split"}}}
    with pytest.raises(SpecError, match="leakage.split_column 'split' is identifying or sensitive"):
        load_spec(make_project(tmp_path / "p", spec))
