"""Bad inputs through the whole pipeline and through ``datavet check``: each fails with a DatavetError
naming the dataset, the column where there is one, and a fix; and nothing is certified (the registry
snapshot is unchanged).

The cases extend tests/test_spec.py and tests/test_ingest.py (which test the parsers directly) to the
full run, the registry and the CLI; none repeats one of them.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from datavet.audit import audit
from datavet.errors import BadReferenceError, ColumnNotFoundError, DataError, DatavetError, SpecError
from datavet.pipeline import run_all
from tests.faults.conftest import FaultProject, base_spec, registry_snapshot, write_titanic

Make = Callable[[FaultProject], None]


@dataclass(frozen=True)
class Case:
    id: str
    make: Make
    error: type[DatavetError]
    fragment: str  # what went wrong
    fix: str  # the fix the message must carry
    column: str | None = None


def spec_edit(edit: Callable[[dict[str, Any]], Any]) -> Make:
    """Write the base spec changed by ``edit``."""

    def make(project: FaultProject) -> None:
        spec = base_spec()
        edit(spec)
        project.write_spec(spec)

    return make


def source(write: Callable[[Path], Any], name: str = "bad.csv", **source_keys: Any) -> Make:
    """Point the spec at a file made by ``write`` (under the project's inputs/)."""

    def make(project: FaultProject) -> None:
        path = project.root / "inputs" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        write(path)
        project.write_spec({**base_spec(), "source": {"path": f"inputs/{name}", **source_keys}})

    return make


def titanic_frame() -> pd.DataFrame:
    from tests.faults.conftest import TITANIC

    return pd.read_csv(TITANIC, keep_default_na=False, na_values=[""])


def csv_from(change: Callable[[pd.DataFrame], pd.DataFrame]) -> Callable[[Path], None]:
    return lambda path: change(titanic_frame()).to_csv(path, index=False)


def answers(text: str) -> Make:
    def make(project: FaultProject) -> None:
        (project.spec_path.parent / "answers.yaml").write_text(text, encoding="utf-8")

    return make


def reference_csv(text: str, **keys: str) -> Make:
    def make(project: FaultProject) -> None:
        (project.root / "inputs").mkdir(exist_ok=True)
        (project.root / "inputs" / "sex.csv").write_text(text, encoding="utf-8")
        spec = base_spec()
        spec["checks"]["representation"][0]["reference"] = {"csv": "inputs/sex.csv", **keys}
        project.write_spec(spec)

    return make


def _set(path: list[Any], value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(spec: dict[str, Any]) -> None:
        node = spec
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return edit


def _symlink_loop(path: Path) -> None:
    path.symlink_to(path.with_name("loop-b.csv"))
    path.with_name("loop-b.csv").symlink_to(path)


def _truncated_parquet(path: Path) -> None:
    titanic_frame().to_parquet(path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


CASES = [
    # --- the spec file -------------------------------------------------------------------------
    Case("unknown-nested-key", spec_edit(_set(["checks", "representation", 0, "min_cnt"], 5)), SpecError,
         "checks.representation.0.min_cnt: Extra inputs are not permitted", "remove it, or check its spelling"),
    Case("threshold-above-1", spec_edit(_set(["checks", "label_balance", 0, "min_disparate_impact"], 1.2)),
         SpecError, "checks.label_balance.0.min_disparate_impact", "use a value in range"),
    Case("negative-reference-share", spec_edit(_set(["checks", "representation", 0, "reference"],
                                                    {"male": 0.7, "female": -0.2})),
         SpecError, "checks.representation.0.reference", "use a value in range"),
    Case("negative-min-count", spec_edit(_set(["checks", "intersectional", 0, "min_count"], -1)), SpecError,
         "checks.intersectional.0.min_count", "use a value in range"),
    Case("positive-on-a-non-label", spec_edit(_set(["columns", "Sex", "positive"], "female")), SpecError,
         "columns.Sex", "add role: label or drop 'positive'"),
    Case("non-utf8-spec", lambda p: p.spec_path.write_bytes(
        yaml.safe_dump(base_spec(), allow_unicode=True).replace("passengers", "passagers \u00e9").encode("latin-1")),
         SpecError, "not UTF-8 text", "save it as UTF-8"),
    Case("empty-spec-file", lambda p: p.spec_path.write_text(""), SpecError, "must be a YAML mapping, got NoneType",
         "datasheets/titanic/dataset.yaml"),
    Case("answers-outside-project", spec_edit(_set(["datasheet"], "../../elsewhere/answers.yaml")), SpecError,
         "points outside the project", "keep answers under datasheets/titanic/"),
    Case("column-absent-from-data", spec_edit(_set(["columns", "Gender"], {"role": "protected"})),
         ColumnNotFoundError, "not in the data", "fix the column name in the spec", column="Gender"),
    Case("check-names-absent-column", spec_edit(_set(["checks", "label_balance", 0, "by"], "Gender")),
         ColumnNotFoundError, "not in the data", "fix the column name in the spec", column="Gender"),
    # --- the source file -----------------------------------------------------------------------
    Case("missing-source", spec_edit(_set(["source", "path"], "inputs/nope.csv")), DataError, "does not exist",
         "check source.path"),
    Case("empty-file", source(lambda p: p.write_bytes(b"")), DataError, "is empty (0 bytes)", "check source.path"),
    Case("header-only-csv", source(lambda p: write_titanic(p, rows=0)), DataError, "has no rows (only a header)",
         "check source.path"),
    Case("ragged-rows", source(lambda p: p.write_text(write_titanic(p, rows=20).read_text()
                                                      + "892,1,3,Extra,male,30,0,0,X,7.0,,S,surplus,fields\n")),
         DataError, "not a well-formed CSV", "repair the ragged rows"),
    Case("utf16-encoding", source(lambda p: p.write_bytes(write_titanic(p, rows=20).read_text().encode("utf-16"))),
         DataError, "is not utf-8 text", "set source.options.encoding"),
    Case("duplicate-header", source(lambda p: p.write_text(
        write_titanic(p, rows=20).read_text().replace("Fare,Cabin", "Sex,Cabin", 1))),
         DataError, "repeats the column name 'Sex'", "source.options.names", column="Sex"),
    Case("truncated-parquet", source(_truncated_parquet, name="bad.parquet", format="parquet"), DataError,
         "cannot read", "check source.format"),
    Case("csv-declared-parquet", source(lambda p: write_titanic(p, rows=20), name="t.parquet", format="parquet"),
         DataError, "cannot read", "check source.format"),
    Case("directory-as-source", source(lambda p: p.mkdir(), name="folder"), DataError,
         "is a directory, not a data file", "check source.path"),
    Case("symlink-loop", source(_symlink_loop, name="loop-a.csv"), DataError, "is a loop of symbolic links",
         "check source.path"),
    # --- references ----------------------------------------------------------------------------
    Case("unknown-named-reference", spec_edit(_set(["checks", "representation", 0, "reference"], "world_populaton")),
         BadReferenceError, "unknown named reference 'world_populaton'", "use one of ['world_population']",
         column="Sex"),
    Case("unknown-geography-reference", spec_edit(lambda s: s["checks"].update(
        geography=[{"column": "Embarked", "reference": "country_population"}])),
         BadReferenceError, "unknown named reference 'country_population'", "use one of", column="Embarked"),
    Case("reference-csv-missing-columns", reference_csv("sex,count\nmale,1\nfemale,1\n"), BadReferenceError,
         "has no column 'group'", "set reference.group / reference.value", column="Sex"),
    Case("reference-csv-sums-to-zero", reference_csv("group,share\nmale,0\nfemale,0\n"), BadReferenceError,
         "sums to 0", "give positive shares", column="Sex"),
    Case("reference-csv-missing", spec_edit(_set(["checks", "representation", 0, "reference"],
                                                 {"csv": "inputs/nothing.csv"})),
         BadReferenceError, "does not exist", "fix reference.csv", column="Sex"),
    # --- the data against the spec ---------------------------------------------------------------
    Case("label-without-positives", spec_edit(_set(["columns", "Survived", "positive"], "yes")), DataError,
         "no row has the positive value 'yes'", "set columns.Survived.positive", column="Survived"),
    Case("protected-column-all-missing", source(csv_from(lambda df: df.assign(Sex=None))), DataError,
         "every value is missing in this protected column", "fill in the column", column="Sex"),
    # --- the answers file ------------------------------------------------------------------------
    Case("answers-malformed-yaml", answers("dataset: titanic\nanswers: {M1: [unclosed\n"), SpecError,
         "answers.yaml: not valid YAML", "correct the syntax at the line and column shown"),
    Case("answers-unknown-prompt", answers(yaml.safe_dump({"dataset": "titanic", "answers": {"Z9": {"answer": "x"}}})),
         SpecError, "answers.Z9: Extra inputs are not permitted", "use a prompt id M1..X8"),
]


@pytest.fixture(scope="module")
def shared(certified_base: FaultProject, tmp_path_factory: pytest.TempPathFactory) -> FaultProject:
    """One copy of the certified project for all cases: a case that certified nothing leaves it as it was."""
    project = FaultProject(tmp_path_factory.mktemp("bad") / "project")
    shutil.copytree(certified_base.root, project.root, symlinks=True)
    return project


@pytest.fixture
def bad(shared: FaultProject, certified_base: FaultProject) -> Iterator[FaultProject]:
    """The shared project with all 891 passengers as its source (a version not yet certified, so a
    bad spec or answers file cannot hide behind "already certified"); spec, answers, source and
    inputs/ are put back after each case."""
    keep = {p: p.read_bytes() for p in (shared.spec_path, shared.spec_path.parent / "answers.yaml", shared.source)}
    write_titanic(shared.source)
    yield shared
    for path, data in keep.items():
        path.write_bytes(data)
    shutil.rmtree(shared.root / "inputs", ignore_errors=True)
    if shared.registry.certified_tags("titanic") != ["titanic/certified/1"]:  # a case wrongly certified:
        shutil.rmtree(shared.root)  # start the next case from a clean copy, so one failure stays one
        shutil.copytree(certified_base.root, shared.root, symlinks=True)


def _assert_clear(message: str, case: Case) -> None:
    assert "Traceback" not in message
    assert case.fragment in message, message
    assert case.fix in message, message
    assert "titanic" in message, message  # the dataset, by name or by its spec/answers path
    if case.column:
        assert f"column {case.column!r}" in message, message


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_refused_clearly_and_certifies_nothing(bad: FaultProject, case: Case) -> None:
    before = registry_snapshot(bad.registry)
    case.make(bad)
    with pytest.raises(DatavetError) as err:
        run_all(bad.loaded(), bad.settings)
    assert isinstance(err.value, case.error), f"{type(err.value).__name__}: {err.value}"
    if not isinstance(err.value, SpecError):
        assert err.value.dataset == "titanic" and err.value.fix
    _assert_clear(str(err.value), case)
    assert registry_snapshot(bad.registry) == before
    assert bad.registry.certified_tags("titanic") == ["titanic/certified/1"]


CLI_SAMPLE = ["non-utf8-spec", "directory-as-source", "reference-csv-missing-columns", "label-without-positives"]


@pytest.mark.parametrize("case", [c for c in CASES if c.id in CLI_SAMPLE], ids=CLI_SAMPLE)
def test_cli_exits_2_without_traceback(bad: FaultProject, case: Case) -> None:
    before = registry_snapshot(bad.registry)
    case.make(bad)
    proc = bad.cli("certify", str(bad.spec_path))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.startswith("datavet: ")
    _assert_clear(proc.stderr, case)
    assert registry_snapshot(bad.registry) == before


# `datavet check` reads the spec, its references and the source as certify does, but not the answers
# file (answers belong to the datasheet, which check does not write): those cases are certify's alone.
CHECK_CASES = [c for c in CASES if not c.id.startswith("answers-")]


@pytest.mark.parametrize("case", CHECK_CASES, ids=[c.id for c in CHECK_CASES])
def test_check_refuses_what_certify_refuses(bad: FaultProject, case: Case) -> None:
    """The same matrix through `datavet check`'s function: the same error class and words, and the
    registry untouched (check never versions)."""
    before = registry_snapshot(bad.registry)
    case.make(bad)
    with pytest.raises(DatavetError) as err:
        audit(bad.loaded(), bad.settings)
    assert isinstance(err.value, case.error), f"{type(err.value).__name__}: {err.value}"
    _assert_clear(str(err.value), case)
    assert registry_snapshot(bad.registry) == before


def test_check_accepts_what_certify_accepts(bad: FaultProject) -> None:
    """The other half of "the same inputs": the good source that certify versions, check passes."""
    found = audit(bad.loaded(), bad.settings)
    assert found.report.success and found.report.rows == 891


@pytest.mark.parametrize("case", [c for c in CASES if c.id in CLI_SAMPLE], ids=CLI_SAMPLE)
def test_check_cli_exits_2_without_traceback(bad: FaultProject, case: Case) -> None:
    case.make(bad)
    proc = bad.cli("check", str(bad.spec_path))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.startswith("datavet: ")
    _assert_clear(proc.stderr, case)
