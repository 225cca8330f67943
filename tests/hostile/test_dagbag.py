"""One bad spec never hides another dataset's DAG: the real dags/datavet_certify.py parsed by a real
Airflow DagBag, in a project where one spec is good and the others are hostile. The good dataset
keeps its certify DAG; each bad one shows as a DAG of its own that fails with the reason."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import yaml

from tests.conftest import REPO
from tests.hostile.conftest import titanic_spec, unprivileged, write_project
from tests.hostile.test_sql import ATTACK
from tests.hostile.test_yaml import bomb

PARSE = """
import json, sys
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1])
print(json.dumps({"errors": {k: str(v)[-500:] for k, v in bag.import_errors.items()},
                  "dags": {d: {"tags": sorted(dag.tags), "tasks": sorted(dag.task_ids), "doc": dag.doc_md or ""}
                           for d, dag in bag.dags.items()}}))
"""


def test_bad_specs_do_not_hide_the_good_one(tmp_path):
    write_project(tmp_path, titanic_spec("titanic"))
    write_project(tmp_path, titanic_spec("titled", title="T\n# Injected\n<script>alert(1)</script>"))
    base = yaml.safe_dump(titanic_spec("placeholder"), sort_keys=False)
    hostile = {
        "bomb": base.replace("title: Titanic passengers\n", "") + bomb(8),
        "deep": base.replace("title: Titanic passengers", "title: " + "[" * 5000 + "]" * 5000),
        "sqlattack": base.replace("source:\n  path:", f"source:\n  sql: {{url_env: X, query: {json.dumps(ATTACK)}}}\n"
                                                     "  old_path:"),
        "unreadable": base,
        "notutf8": base.encode("utf-8").replace(b"Titanic", b"Tit\xe4nic").decode("latin-1"),
    }
    for name, text in hostile.items():
        folder = tmp_path / "datasheets" / name
        folder.mkdir(parents=True)
        text = text.replace("name: placeholder", f"name: {name}")
        (folder / "dataset.yaml").write_bytes(text.encode("latin-1" if name == "notutf8" else "utf-8"))
    (tmp_path / "datasheets" / "unreadable" / "dataset.yaml").chmod(0)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "DATAVET"))}
    env.update(DATAVET_PROJECT=str(tmp_path), DATAVET_HOME=str(tmp_path / ".datavet"),
               AIRFLOW_HOME=str(tmp_path / "airflow"), AIRFLOW__CORE__LOAD_EXAMPLES="False",
               AIRFLOW__CORE__DAGS_FOLDER=str(REPO / "dags"), AIRFLOW__CORE__PLUGINS_FOLDER=str(REPO / "plugins"))
    began = time.monotonic()
    proc = subprocess.run([*unprivileged(), sys.executable, "-c", PARSE, str(REPO / "dags" / "datavet_certify.py")],
                          env=env, capture_output=True, text=True, timeout=300)
    seconds = time.monotonic() - began
    assert proc.returncode == 0, proc.stderr[-3000:]
    bag = json.loads(proc.stdout.strip().splitlines()[-1])
    assert bag["errors"] == {}, bag["errors"]
    good = bag["dags"]["datavet_certify_titanic"]
    assert good["tasks"] == ["certify", "datasheet", "validate", "version"] and "invalid-spec" not in good["tags"]
    reasons = {"bomb": "aliases expand", "deep": "nesting deeper", "sqlattack": "source.sql.query is refused",
               "unreadable": "cannot read it", "notutf8": "not UTF-8"}
    for name, words in reasons.items():
        dag = bag["dags"][f"datavet_certify_{name}"]
        assert dag["tasks"] == ["invalid_spec"] and "invalid-spec" in dag["tags"], (name, dag)
        assert words in dag["doc"] and len(dag["doc"]) < 3000, (name, dag["doc"][:3000])
    titled = bag["dags"]["datavet_certify_titled"]
    assert "invalid-spec" not in titled["tags"] and "\n# Injected" not in titled["doc"]
    assert "<script>" not in titled["doc"], titled["doc"]
    assert seconds < 120, seconds
