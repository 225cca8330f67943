"""`datavet diff` and `datavet promote` on real data (Titanic): the diff's rows, shares and changed
checks, answers and spec keys against pandas and the committed documents; a restored older source
is told which version is current and how to make it current; promoting (rolling back) changes what
consumers load by default, is recorded in history, and a later certification becomes current."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter

import pandas as pd
import yaml

from datavet.consume import load_certified
from tests.conftest import SHARED_DATA
from tests.faults.conftest import BASE_ROWS, FaultProject, base_spec, write_titanic

TITANIC = SHARED_DATA / "titanic_train.csv"


def _edit_answers(project: FaultProject, prompt: str, text: str) -> None:
    path = project.spec_path.parent / "answers.yaml"
    data = yaml.safe_load(path.read_text())
    entry = data["answers"][prompt] = {**data["answers"].get(prompt, {}), "answer": text}
    entry["attested_on"] = dt.date.today().isoformat()  # re-attested, else the changed answer is stale
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def _report(project: FaultProject, tag: str) -> dict:
    reg = project.registry
    md5 = reg.recorded_md5("titanic", rev=tag)
    return json.loads(reg.show(tag, reg.validation_path("titanic", md5)))


def test_diff_promote_and_a_restored_source(project: FaultProject) -> None:
    original_spec = project.spec_path.read_text()
    original_answers = (project.spec_path.parent / "answers.yaml").read_text()
    # v2: every passenger, a new limit on Embarked, one answer reworded
    write_titanic(project.source)
    spec = base_spec()
    spec["checks"]["representation"][1]["min_count"] = 5
    project.write_spec(spec)
    _edit_answers(project, "M1", "Reworded purpose for v2.")
    proc = project.cli("certify", str(project.spec_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert project.registry.certified_tags("titanic") == ["titanic/certified/1", "titanic/certified/2"]

    proc = project.cli("diff", "titanic", "1", "2", "--json")
    assert proc.returncode == 0, proc.stderr
    diff = json.loads(proc.stdout)
    full = pd.read_csv(TITANIC)
    assert diff["rows"] == {"added": len(full) - BASE_ROWS, "removed": 0, "unchanged": BASE_ROWS,
                            "columns_added": [], "columns_removed": []}
    # share shifts of Sex: pandas on the first 700 and on all 891 passengers
    sex = {g["group"]: g for g in diff["share_shifts"] if g["check"] == "representation[Sex]"}
    for group in ("male", "female"):
        a = (full["Sex"].iloc[:BASE_ROWS] == group).mean()
        b = (full["Sex"] == group).mean()
        assert abs(sex[group]["a"] - a) < 1e-12 and abs(sex[group]["shift"] - (b - a)) < 1e-12
    # checks whose outcome changed, from the two committed reports read here
    def outcomes(tag: str) -> dict:
        out = {}
        for c in _report(project, tag)["checks"]:
            subject = " x ".join(c["columns"]) if c.get("columns") else c.get("column") or ""
            by = c.get("by") if isinstance(c.get("by"), str) or c.get("by") is None else " x ".join(c["by"])
            key = f"{c['check']}[{subject} by {by}]" if by else f"{c['check']}[{subject}]"
            out[key] = "passed" if c["success"] else "warned" if c["severity"] == "warning" else "failed"
        return out

    before, after = outcomes("titanic/certified/1"), outcomes("titanic/certified/2")
    assert diff["checks"] == [{"check": k, "a": before.get(k, "absent"), "b": after.get(k, "absent")}
                              for k in sorted(set(before) | set(after))
                              if before.get(k, "absent") != after.get(k, "absent")]
    assert [a["prompt"] for a in diff["answers"]] == ["M1"]
    assert diff["answers"][0]["answer"][1] == "Reworded purpose for v2."
    assert set(diff["rules_changed"]) == {"spec", "suite", "answers"}
    assert {"key": "checks.representation[Embarked].min_count", "a": None, "b": 5} in diff["spec_keys"]
    text = project.cli("diff", str(project.spec_path), "1", "2").stdout
    assert f"rows: {len(full) - BASE_ROWS} added, 0 removed" in text and "answers changed: M1" in text

    # the older source restored (with its spec and answers): certified as v1, which is not current
    write_titanic(project.source, BASE_ROWS)
    project.spec_path.write_text(original_spec)
    (project.spec_path.parent / "answers.yaml").write_text(original_answers)
    proc = project.cli("certify", str(project.spec_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "already certified as titanic/certified/1" in proc.stdout
    assert "verify use titanic/certified/2 by default" in proc.stdout
    assert "To make titanic/certified/1 current: datavet promote titanic 1" in proc.stdout
    assert len(load_certified("titanic", settings=project.settings)) == len(full)

    # promote v1 (a rollback): consumers, verify and history follow
    proc = project.cli("promote", "titanic", "1")
    assert proc.returncode == 0 and "titanic/certified/1 is now the current version" in proc.stdout, proc.stderr
    assert len(load_certified("titanic", settings=project.settings)) == BASE_ROWS
    assert "titanic/certified/1" in project.cli("verify", str(project.spec_path)).stdout
    history = json.loads(project.cli("history", str(project.spec_path), "--json").stdout)
    assert [r["current"] for r in history] == [True, False]
    table = project.cli("history", str(project.spec_path)).stdout
    assert "Promote titanic/certified/1 as the current version of titanic (was titanic/certified/2)" in table
    proc = project.cli("promote", "titanic", "1")
    assert "already the current version" in proc.stdout
    assert "not the current version" not in project.cli("certify", str(project.spec_path)).stdout
    # a version certified after the promotion is newer than it: it becomes current
    write_titanic(project.source, 800)
    # the restored M1 differs from v2's words: re-attested now, else it is stale
    path = project.spec_path.parent / "answers.yaml"
    data = yaml.safe_load(path.read_text())
    data["answers"]["M1"]["attested_on"] = dt.date.today().isoformat()
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    assert project.cli("certify", str(project.spec_path)).returncode == 0
    assert len(load_certified("titanic", settings=project.settings)) == 800
    # promoting what is not certified is refused, without a traceback
    proc = project.cli("promote", "titanic", "9")
    assert proc.returncode == 2 and "not certified" in proc.stderr and "Traceback" not in proc.stderr
    assert Counter(r["current"] for r in json.loads(
        project.cli("history", str(project.spec_path), "--json").stdout)) == {True: 1, False: 2}
