"""Labels of a tree of files on real FairFace images (../shared/data): a column's ``type:`` casts
path and manifest labels so ``bins`` apply; names ``labels_from_path`` does not match and duplicate
files with different labels (FairFace's 567.jpg and 4209.jpg are the same bytes, labelled
differently) are counted by the files check, each limit at its own severity, an omitted limit not
checked; consumers get the spec's values and bins with ``recoded=True``. Every figure is computed
again here with pandas and hashlib."""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from datavet.errors import ChecksFailed, DataError, NotCertifiedError
from datavet.pipeline import validate, version
from datavet.stages.common import version_table
from tests.conftest import SHARED_DATA
from tests.files.conftest import FilesProject

MANIFEST = SHARED_DATA / "fairface_label_val.csv"
INCLUDE = ["fairface/val/42*.jpg", "fairface/val/5*.jpg"]  # 222 real images, 567 and 4209 among them
REGEX = r"val/(?P<n>[1-4]\d*)\.jpg$"  # names starting with 5 do not match
BINS = [0, 1000, 4000]
LABELS = ["age", "gender", "race", "service_test"]


def _spec(files_check: dict, **columns: dict) -> dict:
    cols = {"race": {"role": "protected"}, "gender": {"role": "protected", "values": {"Male": "M", "Female": "F"}},
            "n": {"type": "integer", "bins": BINS}, "service_test": {"type": "boolean"}, **columns}
    return {"name": "faces", "title": "FairFace subset", "owner": "qa@example.org", "license": "CC-BY-4.0",
            "source": {"files": {"root": str(SHARED_DATA), "include": INCLUDE},
                       "manifest": {"path": str(MANIFEST), "file_column": "file"}, "labels_from_path": REGEX},
            "columns": cols,
            "checks": {"files": files_check, "representation": [{"column": "n"}, {"column": "race"}]}}


@pytest.fixture(scope="module")
def expected() -> dict:
    """The figures, independently: pandas on the manifest, hashlib on the bytes, re on the names."""
    present = sorted({p.relative_to(SHARED_DATA).as_posix() for pat in INCLUDE for p in SHARED_DATA.glob(pat)})
    manifest = pd.read_csv(MANIFEST, keep_default_na=False, dtype=str).set_index("file").loc[present]
    names = {f: re.search(r"(\d+)\.jpg$", f).group(1) for f in present}
    by_md5: dict[str, list[str]] = defaultdict(list)
    for f in present:
        by_md5[hashlib.md5((SHARED_DATA / f).read_bytes()).hexdigest()].append(f)
    conflicts = []
    for files in by_md5.values():
        for dup in files[1:]:
            differ = [c for c in LABELS if manifest.at[dup, c] != manifest.at[files[0], c]]
            n = [] if names[dup][0] == "5" and names[files[0]][0] == "5" else ["n"]
            if differ or n:
                conflicts.append({"file": dup, "same_as": files[0], "columns": [*differ, *n]})
    return {"present": present, "manifest": manifest, "names": names, "conflicts": conflicts,
            "duplicates": sum(len(v) - 1 for v in by_md5.values()),
            "unmatched": [f for f in present if names[f].startswith("5")]}


def _project(tmp_path: Path, spec: dict) -> FilesProject:
    project = FilesProject(tmp_path / "project")
    project.write_spec(spec)
    return project


def test_typed_labels_unmatched_names_and_label_conflicts(tmp_path: Path, expected: dict) -> None:
    project = _project(tmp_path, _spec({"max_label_conflicts": 0, "max_duplicate_files": {"max": 0,
                                                                                           "severity": "warning"},
                                        "max_unmatched_files": {"max": 0, "severity": "warning"}}))
    loaded = project.loaded()
    info = version(loaded, project.settings)
    path = version_table(project.settings, info.md5, "faces")
    # integer labels from the names (stored as int64), null where the name does not match; booleans cast
    schema = pq.read_schema(path)
    assert str(schema.field("n").type) == "int64" and str(schema.field("service_test").type) == "bool"
    table = pd.read_parquet(path, dtype_backend="numpy_nullable").set_index("file")
    for f in expected["present"]:
        n = expected["names"][f]
        assert (pd.isna(table.at[f, "n"]) if n.startswith("5") else table.at[f, "n"] == int(n)), f
        assert bool(table.at[f, "service_test"]) == (expected["manifest"].at[f, "service_test"] == "True")
    assert expected["conflicts"] and expected["conflicts"][0]["file"] == "fairface/val/567.jpg"
    with pytest.raises(ChecksFailed) as failed:
        validate(loaded, project.settings, info.md5)
    summary = failed.value.summary
    assert f"label_conflicts = {len(expected['conflicts'])} > max_label_conflicts 0" in summary, summary
    assert f"unmatched_files = {len(expected['unmatched'])} > max_unmatched_files 0 (warning)" in summary
    assert f"duplicate_files = {expected['duplicates']} > max_duplicate_files 0 (warning)" in summary
    assert "missing_files" not in summary and "unlisted_files" not in summary  # omitted: not checked


def test_warning_limits_do_not_block_and_report_samples(tmp_path: Path, expected: dict) -> None:
    project = _project(tmp_path, _spec({"max_label_conflicts": 0, "max_unmatched_files": 1000,
                                        "severity": "warning"}))
    loaded = project.loaded()
    info = version(loaded, project.settings)
    report = validate(loaded, project.settings, info.md5)
    assert report.success
    files = next(c for c in report.checks if c.check == "files")
    assert files.severity == "warning" and not files.success
    assert files.thresholds == {"max_label_conflicts": 0, "max_unmatched_files": 1000}
    assert files.observed["label_conflicts"] == len(expected["conflicts"])
    assert files.observed["unmatched_files"] == len(expected["unmatched"])
    assert files.observed["samples"]["label_conflict"] == expected["conflicts"][:10]
    assert files.observed["samples"]["unmatched"] == expected["unmatched"][:10]
    # bins on the integer from the file name: the band counts pandas gives
    rep = next(c for c in report.checks if c.check == "representation" and c.column == "n")
    numbers = pd.Series([int(v) for f, v in expected["names"].items() if not v.startswith("5")])
    bands = pd.cut(numbers, [0, 1000, 4000, float("inf")], right=False).value_counts(sort=False)
    counts = rep.observed["counts"]
    assert [counts.get(b, 0) for b in ("[0, 1000)", "[1000, 4000)", ">= 4000")] == bands.tolist()
    assert sum(counts.values()) == len(numbers) and bands.iloc[0] > 0 and bands.iloc[2] > 0


def test_a_label_that_does_not_cast_is_refused(tmp_path: Path) -> None:
    spec = _spec({}, race={"role": "protected", "type": "integer"})
    project = _project(tmp_path, spec)
    with pytest.raises(DataError) as bad:
        version(project.loaded(), project.settings)
    message = str(bad.value)
    assert "race" in message and "not an integer" in message and "columns.race.type" in message


def test_consumers_get_the_specs_values_and_bins(tmp_path: Path, expected: dict) -> None:
    from datavet.consume import load_certified
    from datavet.consume_files import open_certified
    from datavet.pipeline import run_all

    project = _project(tmp_path, _spec({"max_label_conflicts": {"max": 0, "severity": "warning"}}))
    _, cert, created = run_all(project.loaded(), project.settings)
    assert created and cert is not None
    raw = load_certified("faces", settings=project.settings).set_index("file")
    recoded = load_certified("faces", settings=project.settings, recoded=True, spec=project.spec_path)
    recoded = recoded.set_index("file")
    manifest = expected["manifest"]
    assert (raw["gender"] == manifest["gender"].loc[raw.index]).all()
    assert (recoded["gender"] == manifest["gender"].loc[raw.index].map({"Male": "M", "Female": "F"})).all()
    for f, n in expected["names"].items():
        band = None if n.startswith("5") else "[0, 1000)" if int(n) < 1000 else "[1000, 4000)" \
            if int(n) < 4000 else ">= 4000"
        assert (recoded.at[f, "n"] is None) if band is None else recoded.at[f, "n"] == band
    opened = open_certified("faces", settings=project.settings, recoded=True, spec=project.spec_path)
    labels = {path.relative_to(opened.root).as_posix(): lab for path, lab in opened}
    assert labels["fairface/val/567.jpg"]["gender"] == "M" and labels["fairface/val/4209.jpg"]["n"] == ">= 4000"
    # a spec edited since certification cannot rename the certified version's groups
    edited = project.loaded().spec.model_dump(mode="json", exclude_none=True)
    edited["columns"]["gender"]["values"] = {"Male": "man", "Female": "woman"}
    project.write_spec(edited)
    with pytest.raises(NotCertifiedError, match="not the one faces/certified/1 was certified under"):
        load_certified("faces", settings=project.settings, recoded=True, spec=project.spec_path)
