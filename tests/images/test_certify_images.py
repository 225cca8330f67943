"""A tree of FairFace faces with two splits (a path group) certified end to end with the three new
checks: the datasheet and the certificate are written, and the published report in the registry
withholds small cells of the new checks."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd

from datavet.pipeline import run_all
from tests.images.conftest import FAIRFACE, MANIFEST, fairface_project


def test_certify_with_image_checks(tmp_path: Path) -> None:
    root = tmp_path / "data"
    labels = pd.read_csv(MANIFEST, keep_default_na=False).set_index("file")
    rows = []
    for n in range(1, 301):
        rel = f"{'train' if n <= 200 else 'test'}/{n}.jpg"
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(FAIRFACE / f"{n}.jpg", root / rel)
        rows.append({"file": rel, **labels.loc[f"fairface/val/{n}.jpg"].to_dict()})
    shutil.copyfile(FAIRFACE / "1.jpg", root / "test" / "copy_1.jpg")  # one leaked face
    rows.append({"file": "test/copy_1.jpg", **labels.loc["fairface/val/1.jpg"].to_dict()})
    pd.DataFrame(rows).to_csv(root / "labels.csv", index=False)
    checks = {"image_quality": [{"by": "race", "severity": "warning"}],
              "leakage": {"split_column": "split", "labels": ["race"], "severity": "warning"},
              "split_shift": [{"split_column": "split", "column": "gender", "severity": "warning"}]}
    project = fairface_project(tmp_path / "p", ["train/*.jpg", "test/*.jpg"], checks, files_root=root,
                               manifest=root / "labels.csv")
    spec = project.spec_path.read_text().replace("source:\n", "source:\n  labels_from_path: ^(?P<split>train|test)/\n")
    project.spec_path.write_text(spec)
    report, cert, created = run_all(project.loaded(), project.settings)
    assert created and cert is not None
    registry = project.registry
    md5 = registry.recorded_md5("faces")
    stored = json.loads(registry.validation_path("faces", md5).read_text())
    leak = next(c for c in stored["checks"] if c["check"] == "leakage")
    assert leak["observed"]["shared_files"] == "<10"  # the copy and its original: 2, published as small
    shift = next(c for c in stored["checks"] if c["check"] == "split_shift")
    assert shift["observed"]["rows"] == {"test": 101, "train": 200}
    iq = next(c for c in stored["checks"] if c["check"] == "image_quality")
    assert iq["observed"]["images"] == 301
    sheet = (registry.root / "datasheets" / "faces" / "datasheet.json").read_text()
    assert "image_quality" in sheet and "split_shift" in sheet and "leakage" in sheet
