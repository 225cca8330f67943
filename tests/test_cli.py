"""The `datavet` command as users run it: exit 0 pass, 1 failed check, 2 bad input without traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ADULT_SPEC, adult_spec_dict, example_spec_dict, make_project

DATAVET = str(Path(sys.executable).parent / "datavet")


def run(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATAVET_PROJECT": str(project), "DATAVET_HOME": str(project / ".datavet")}
    return subprocess.run([DATAVET, *args], cwd=project, env=env, capture_output=True, text=True, timeout=300)


def test_check_passes_and_writes_the_json_report_and_metrics(tmp_path):
    spec = make_project(tmp_path, adult_spec_dict(), answers_from=ADULT_SPEC.parent / "answers.yaml")
    proc = run(tmp_path, "check", str(spec), "--json", "out/report.json", "--metrics", "out/metrics.json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads((tmp_path / "out/report.json").read_text())
    assert {"dataset", "data_hash", "rows", "success", "checks"} <= set(report)
    assert report["dataset"] == "adult" and report["rows"] == 32561 and report["success"] is True
    kinds = {c["check"] for c in report["checks"]}
    assert kinds == {"missingness", "missingness_parity", "representation", "intersectional", "geography",
                     "label_balance"}
    metrics = json.loads((tmp_path / "out/metrics.json").read_text())
    assert metrics["rows"] == 32561 and metrics["missing_rate"]["occupation"] == pytest.approx(1843 / 32561)
    assert "warning" in proc.stdout  # warned checks are listed even when the run passes


def test_check_publishes_small_cells_as_below_threshold(tmp_path):
    """Adult's Holand-Netherlands has 1 row: the JSON report, the printed summary and the metrics show
    it as "<10" with its share and rate withheld; other counts stay plain numbers."""
    spec_dict = adult_spec_dict()
    spec_dict["checks"]["representation"].append({"column": "native-country", "min_count": 10,
                                                  "severity": "warning"})
    spec_dict["checks"]["label_balance"].append({"label": "income", "by": "native-country"})
    spec = make_project(tmp_path, spec_dict, answers_from=ADULT_SPEC.parent / "answers.yaml")
    proc = run(tmp_path, "check", str(spec), "--json", "report.json", "--metrics", "metrics.json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "counts[Holand-Netherlands]: fewer than 10 rows (exact count withheld), below min_count 10" in proc.stdout
    assert "counts[Holand-Netherlands] = 1 " not in proc.stdout
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["small_cell_threshold"] == 10
    rep = next(c for c in report["checks"] if c["check"] == "representation" and c["column"] == "native-country")
    assert rep["observed"]["counts"]["Holand-Netherlands"] == "<10"
    assert rep["observed"]["shares"]["Holand-Netherlands"] is None
    assert rep["observed"]["counts"]["United-States"] == 29170
    geo = next(c for c in report["checks"] if c["check"] == "geography")
    assert geo["observed"]["counts"]["NLD"] == "<10"
    balance = next(c for c in report["checks"] if c["check"] == "label_balance" and c["by"] == "native-country")
    assert balance["observed"]["positive_rates"]["Holand-Netherlands"] is None
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert "Holand-Netherlands" not in metrics["positive_rate"]["income_by_native-country"]
    assert "NLD" not in metrics["geography_shares"]["native-country"]


def test_check_exits_1_when_an_error_check_fails(tmp_path):
    spec = make_project(tmp_path, example_spec_dict())
    proc = run(tmp_path, "check", str(spec), "--json", "report.json")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "[error] representation on sex" in proc.stdout and "min_ratio 0.8" in proc.stdout
    assert json.loads((tmp_path / "report.json").read_text())["success"] is False


def test_bad_spec_exits_2_without_traceback(tmp_path):
    data = adult_spec_dict()
    data["checks"]["representation"][0]["min_ratio"] = "high"
    spec = make_project(tmp_path, data)
    proc = run(tmp_path, "check", str(spec))
    assert proc.returncode == 2
    assert "checks.representation.0.min_ratio" in proc.stderr and "Traceback" not in proc.stderr


def test_missing_column_exits_2_naming_dataset_column_and_fix(tmp_path):
    data = adult_spec_dict()
    data["checks"]["label_balance"][0]["by"] = "gender"
    spec = make_project(tmp_path, data)
    proc = run(tmp_path, "check", str(spec))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "dataset 'adult'" in proc.stderr and "'gender'" in proc.stderr and "Fix:" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_datasheet_init_writes_a_prefilled_answers_file_once(tmp_path):
    spec = make_project(tmp_path, adult_spec_dict())
    proc = run(tmp_path, "datasheet", "init", str(spec))
    assert proc.returncode == 0, proc.stderr
    answers = yaml.safe_load((spec.parent / "answers.yaml").read_text())
    assert "data-platform@example.org" in json.dumps(answers)  # X1/X2 pre-filled from the spec's owner
    again = run(tmp_path, "datasheet", "init", str(spec))
    assert again.returncode == 2 and "--force" in again.stderr


def test_verify_without_certification_exits_2(tmp_path):
    spec = make_project(tmp_path, adult_spec_dict())
    proc = run(tmp_path, "verify", str(spec))
    assert proc.returncode == 2 and "has no certified version" in proc.stderr


def test_a_command_runs_with_fewer_collections_and_gives_the_caller_its_setting_back(tmp_path, monkeypatch):
    """The CLI raises the collector's young threshold while a command runs (GX's import makes about a
    million objects) and restores the caller's, also when the command fails."""
    import gc

    from datavet import cli
    from datavet.errors import SpecError

    during = []

    def refuse(path):
        during.append(gc.get_threshold())
        raise SpecError(str(path), ["refused on purpose"])

    monkeypatch.setattr(cli, "load_spec", refuse)
    before = gc.get_threshold()
    gc.set_threshold(777, *before[1:])
    try:
        assert cli.main(["check", str(tmp_path / "dataset.yaml")]) == 2
        assert during == [(cli.GC_YOUNG, *before[1:])]
        assert gc.get_threshold() == (777, *before[1:])
    finally:
        gc.set_threshold(*before)


def test_the_command_ends_without_teardown_but_after_exit_handlers_and_output(tmp_path: Path) -> None:
    """`datavet` (datavet.cli.run) skips the interpreter's teardown, not what anyone sees of an exit:
    the exit handlers run (logging's flush, temporary folders), piped output arrives whole, the exit
    code is the command's; a non-daemon thread still running is joined as Python would."""
    script = f"""
import atexit, sys, tempfile, threading, time
from pathlib import Path
kept = tempfile.TemporaryDirectory(dir={str(tmp_path)!r})
atexit.register(lambda: Path({str(tmp_path / 'handler-ran')!r}).write_text("yes"))
print("x" * 100_000, end="")  # more than a pipe's buffer, still in sys.stdout's when run() ends
done = Path({str(tmp_path / 'thread-done')!r})
if sys.argv[1] == "thread":
    threading.Thread(target=lambda: (time.sleep(0.5), done.write_text("yes"))).start()
sys.argv = ["datavet", "check", {str(tmp_path / 'missing.yaml')!r}]
from datavet.cli import run
run()
"""
    for mode in ("plain", "thread"):
        proc = subprocess.run([sys.executable, "-c", script, mode], capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2, proc.stderr  # the command's own code: a spec that does not exist
        assert proc.stdout == "x" * 100_000 and "missing.yaml" in proc.stderr
        assert (tmp_path / "handler-ran").read_text() == "yes"
        assert not [p for p in tmp_path.iterdir() if p.is_dir()]  # the temporary folder's finalizer ran
        (tmp_path / "handler-ran").unlink()
    assert (tmp_path / "thread-done").read_text() == "yes"
