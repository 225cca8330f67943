"""Partitioned versions (``source.partitioned: true``) and incremental certification.

Adult census rows written as a Hive directory by ``race`` (pyarrow's writer, as a lake would hold
them). The version is one part per partition folder; a second certification after a partition is
added writes and counts only the new part, and its report equals a cold certification of the same
data in a fresh registry (nothing cached) and the figures of the single-file version.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest

from datavet.fsutil import file_md5
from datavet.registry import dvctree
from datavet.settings import Settings
from datavet.sources import source_for
from datavet.spec import LoadedSpec, parse_spec
from tests.conftest import REPO, SHARED_DATA, adult_spec_dict, make_project

ADULT_OPTIONS = adult_spec_dict()["source"]["options"]
LATE = "race=Other"  # the partition that arrives with the second version


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Adult as a Hive directory by race, without and with the partition ``race=Other``."""
    root = tmp_path_factory.mktemp("lake")
    data = {"name": "people", "title": "people", "owner": "t@example.org", "license": "CC0", "columns": {},
            "checks": {}, "source": {"path": str(SHARED_DATA / "adult.data"), "format": "csv",
                                     "options": ADULT_OPTIONS}}
    path = root / "datasheets" / "people" / "dataset.yaml"
    csv = source_for(LoadedSpec(spec=parse_spec(data, path), path=path, root=root),
                     Settings(project=root)).materialise(root / "csv")
    full = root / "full"
    pq.write_to_dataset(pq.read_table(csv.table), full, partition_cols=["race"])
    early = root / "early"
    shutil.copytree(full, early)
    shutil.rmtree(early / LATE)
    return {"root": root, "csv": csv.table, "full": full, "early": early}


def _materialise(root: Path, folder: Path, staging: str, settings: Settings):
    data = {"name": "people", "title": "people", "owner": "t@example.org", "license": "CC0", "columns": {},
            "checks": {}, "source": {"path": str(folder), "partitioned": True}}
    path = root / "datasheets" / "people" / "dataset.yaml"
    return source_for(LoadedSpec(spec=parse_spec(data, path), path=path, root=root), settings).materialise(
        root / staging)


def test_one_deterministic_part_per_partition(tmp_path: Path, lake: dict[str, Any]) -> None:
    settings = Settings(project=tmp_path, home=tmp_path / ".datavet")
    made = _materialise(tmp_path, lake["full"], "a", settings)
    again = _materialise(tmp_path, lake["full"], "b", settings)
    folders = sorted(p.name for p in lake["full"].iterdir() if p.is_dir())
    assert sorted(e.relpath for e in made.entries) == sorted(f"part-race%3D{f[5:]}.parquet" for f in folders)
    assert made.md5 == again.md5 == dvctree.tree_md5(made.entries) and made.rows == 32561
    for entry in made.entries:  # each part is its own file, hashed as written
        assert file_md5(made.table / entry.relpath) == entry.md5
    # read as one table (DuckDB's and pandas' readers of a folder) it is the CSV's rows
    whole = pd.read_parquet(made.table)
    csv = pd.read_parquet(lake["csv"])
    assert list(whole.columns) == [c for c in csv.columns if c != "race"] + ["race"]
    key = list(csv.columns)
    pd.testing.assert_frame_equal(whole[key].sort_values(key).reset_index(drop=True),
                                  csv.sort_values(key).reset_index(drop=True), check_exact=True)
    from datavet.column_stats import column_stats  # the OpenLineage metrics facet reads the folder too

    rows, stats = column_stats(made.table, ["?"], 1)
    assert rows == 32561
    assert {c: (s.missing, s.distinct) for c, s in stats.items()} == {
        c: (int((csv[c].isna() | csv[c].astype(str).str.strip().eq("?")).sum()),
            int(csv[c][~(csv[c].isna() | csv[c].astype(str).str.strip().eq("?"))].nunique())) for c in csv.columns}
    for entry in made.entries:  # rows of a part are its partition's, in the source file's order
        race = entry.relpath.removeprefix("part-race%3D").removesuffix(".parquet").replace("%20", " ")
        src = pq.read_table(next((lake["full"] / f"race={race}").glob("*.parquet"))).to_pandas()
        part = pd.read_parquet(made.table / entry.relpath)
        assert part["race"].eq(race).all()
        pd.testing.assert_frame_equal(part.drop(columns="race"), src, check_exact=True, check_dtype=False)


def _certify(root: Path, folder: Path) -> tuple[Any, dict, Settings]:
    from datavet.pipeline import registry_for, run_all
    from datavet.spec import load_spec

    spec = adult_spec_dict()
    spec["source"] = {"path": str(folder), "partitioned": True}
    path = make_project(root, spec, answers_from=REPO / "datasheets" / "adult" / "answers.yaml")
    settings = Settings(project=root, home=root / ".datavet")
    _, cert, created = run_all(load_spec(path), settings)
    assert created
    registry = registry_for(settings)
    report = json.loads(registry.show(cert.tag, registry.validation_path("adult", cert.md5)))
    report["datasheet"] = json.loads(registry.show(cert.tag, registry.datasheet_dir("adult") / "datasheet.json"))
    return cert, report, settings


def _figures(report: dict) -> list:
    return sorted(json.dumps([c["check"], c.get("column"), c.get("columns"), c.get("by"), c["success"],
                              c.get("observed"), c.get("failures")], sort_keys=True, default=str)
                  for c in report["checks"])


def test_a_part_short_of_its_footers_rows_is_refused(tmp_path: Path, lake: dict[str, Any]) -> None:
    """A writer whose stream ended early (here one that stops at 100 rows, as a reader cut off by
    another query on its connection does, silently) is caught: each part must hold the rows its
    files' footers count, or the version is refused, naming the partition."""
    from datavet.errors import DataError
    from datavet.sources.partitioned import PartTask, materialise_parts, write_task
    from datavet.sources.table import connect

    def short(tasks, folder):
        return {t.name: write_task(con, PartTask(t.name, f"{t.select} LIMIT 100"), folder) for t in tasks}

    settings = Settings(project=tmp_path, home=tmp_path / ".datavet")
    files = sorted(lake["full"].rglob("*.parquet"))
    con = connect(None)
    try:
        types = {r[0]: r[1] for r in con.sql(f"DESCRIBE SELECT * FROM read_parquet('{lake['full']}/**/*.parquet', "
                                             "hive_partitioning = true)").fetchall()}
        with pytest.raises(DataError, match=r"partition race=.* gave 100 rows where its files' footers count"):
            materialise_parts(con, lake["full"], files, types, tmp_path / "s", tmp_path / "cache",
                              settings.memo_dir, write_elsewhere=short, dataset="people")
    finally:
        con.close()


def test_added_partition_is_the_only_part_counted(tmp_path: Path, lake: dict[str, Any], monkeypatch) -> None:
    from datavet import gx_preload

    # as in a fresh `datavet certify`: the datasheet's profile is taken while GX imports (here: already imported)
    monkeypatch.setattr(gx_preload, "loading", lambda: True)
    work = tmp_path / "work"
    source = tmp_path / "source"
    shutil.copytree(lake["early"], source)
    first, _, settings = _certify(work, source)
    counts = settings.memo_dir / "counts"
    cached = set(counts.rglob("*.json"))
    assert first.md5.endswith(".dir") and first.rows == 32561 - pq.read_table(lake["full"] / LATE).num_rows
    _plant_counts_in_registry(settings.registry)  # whoever can write to the registry tries to steer the figures
    shutil.copytree(lake["full"] / LATE, source / LATE)  # the new partition arrives
    second, warm, _ = _certify(work, source)
    new_tables = set(counts.rglob("*.json")) - cached
    parts = dvctree.read_tree(settings.registry / ".dvc" / "cache", second.md5)
    old_parts = {e.md5 for e in dvctree.read_tree(settings.registry / ".dvc" / "cache", first.md5)}
    assert [e.relpath for e in parts if e.md5 not in old_parts] == [f"part-{LATE.replace('=', '%3D')}.parquet"]
    assert new_tables and len(new_tables) < len(cached)  # the new part's tables only
    assert second.rows == 32561
    _load_certified_reads_every_part(settings, lake, parts)
    _, cold, _ = _certify(tmp_path / "cold", lake["full"])  # the same data, nothing cached: a full recount
    assert _figures(warm) == _figures(cold)
    for report in (warm, cold):
        for key in ("data_hash", "validation_result_id", "suite_hash"):
            report.pop(key, None)
    late = pq.read_table(lake["full"] / LATE).num_rows
    changes = warm["datasheet"]["changes"]  # only the new part compared: the old parts are the same bytes
    assert (changes["rows_added"], changes["rows_removed"], changes["rows_before"]) == (late, 0, 32561 - late)
    assert warm["datasheet"]["computed"] == cold["datasheet"]["computed"]
    cold_sheet = cold.pop("datasheet")
    warm.pop("datasheet")
    assert warm == cold
    spec = adult_spec_dict()  # the whole directory as one file: one scan of every row
    spec["source"] = {"path": str(lake["full"])}
    from datavet.pipeline import registry_for, run_all
    from datavet.spec import load_spec

    one = tmp_path / "one"
    one_settings = Settings(project=one, home=one / ".datavet")
    answers = REPO / "datasheets" / "adult" / "answers.yaml"
    _, cert, _ = run_all(load_spec(make_project(one, spec, answers_from=answers)), one_settings)
    registry = registry_for(one_settings)
    scanned = json.loads(registry.show(cert.tag, registry.validation_path("adult", cert.md5)))
    assert _figures(scanned) == _figures(cold) and len(cold["checks"]) > 10
    sheet = json.loads(registry.show(cert.tag, registry.datasheet_dir("adult") / "datasheet.json"))
    assert sheet["computed"] == cold_sheet["computed"]  # duplicates, label counts, types: as one scan gives them


def _plant_counts_in_registry(registry: Path) -> None:
    """What someone who can write to the registry (not to home, where the signing key is) can do to
    anything kept beside the DVC objects: every count grows, every kept row hash becomes unique (no
    duplicates). A certification must not read such files back as figures."""
    import numpy as np

    def grown(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | list | dict):
            return value
        if isinstance(value, int):
            return value + 1000
        return [grown(v) for v in value] if isinstance(value, list) else {k: grown(v) for k, v in value.items()}

    kept = [p for p in (registry / ".dvc" / "cache").rglob("*") if p.is_file() and "files" not in p.parts]
    for path in kept:
        path.chmod(0o644)
        if path.suffix == ".json":
            path.write_text(json.dumps(grown(json.loads(path.read_text()))))
        elif path.suffix == ".npy":
            np.save(path, np.arange(len(np.load(path)), dtype=np.uint64), allow_pickle=False)


def test_drift_counts_of_a_partitioned_version_sum_its_parts(tmp_path: Path, lake: dict[str, Any]) -> None:
    """The drift check's value counts of a previous version, summed over cached parts, are a scan's."""
    from datavet.engines import ParquetTable, engine_for
    from datavet.engines.parts import value_counts_by_parts

    settings = Settings(project=tmp_path, home=tmp_path / ".datavet")
    made = _materialise(tmp_path, lake["full"], "a", settings)
    engine = engine_for("duckdb", settings)
    cache = tmp_path / "cache"
    columns = ["sex", "race", "workclass"]
    cold = value_counts_by_parts(engine, ParquetTable(made.table), columns, cache)
    warm = value_counts_by_parts(engine, ParquetTable(made.table), columns, cache)  # read back from the cache
    assert len(list(cache.rglob("*.json"))) == len(made.entries)
    expected = pd.read_parquet(lake["csv"]).groupby(columns, dropna=False).size()
    for found in (cold, warm):
        assert sorted(found) == sorted((tuple(k), int(n)) for k, n in expected.items())


def _load_certified_reads_every_part(settings: Settings, lake: dict[str, Any], parts: list) -> None:
    """``load_certified`` gives the partitioned version as one table, and refuses it if a part changed."""
    from datavet import load_certified
    from datavet.errors import NotCertifiedError

    df = load_certified("adult", settings=settings, missing_as_null=False)
    csv = pd.read_parquet(lake["csv"])
    key = list(csv.columns)
    assert list(df.columns) == [c for c in key if c != "race"] + ["race"]
    pd.testing.assert_frame_equal(df[key].sort_values(key, ignore_index=True),
                                  csv.sort_values(key, ignore_index=True), check_exact=True)
    damaged = dvctree.object_path(settings.registry / ".dvc" / "cache", parts[0].md5)
    original = damaged.read_bytes()
    damaged.chmod(0o644)
    damaged.write_bytes(original[:-9] + bytes([original[-9] ^ 1]) + original[-8:])
    try:
        with pytest.raises(NotCertifiedError, match="refusing altered data"):
            load_certified("adult", settings=settings)
    finally:
        damaged.write_bytes(original)


def test_a_rewritten_source_file_is_hashed_again(tmp_path: Path) -> None:
    """The remembered md5 of a source file is keyed by its inode, size and times: new bytes of the same
    size are seen (a partition rewritten in place is read again, never taken for its old part)."""
    import os
    import time

    from datavet.sources.file_state import STATE_DB, file_states

    path = tmp_path / "part.parquet"
    path.write_bytes(b"a" * 4096)
    old = time.time_ns() - 10**10
    os.utime(path, ns=(old, old))
    time.sleep(0.05)
    read: list[Path] = []

    def md5(p: Path) -> str:
        read.append(p)
        return file_md5(p)

    with file_states(tmp_path / "cache") as states:
        first = states.md5_of(path, md5)
    with file_states(tmp_path / "cache") as states:
        assert first == file_md5(path) == states.md5_of(path, md5) and len(read) == 1  # remembered
    assert (tmp_path / "cache" / STATE_DB).is_file()
    with open(path, "r+b") as fh:  # same size, same mtime put back: only the ctime tells
        fh.write(b"b")
    os.utime(path, ns=(old, old))
    with file_states(tmp_path / "cache") as states:
        assert states.md5_of(path, md5) == file_md5(path) != first and len(read) == 2
    with file_states(tmp_path / "cache") as states:  # a file changed just now is not remembered (racy)
        path.write_bytes(b"c" * 4096)
        states.md5_of(path, md5)
        states.md5_of(path, md5)
    assert len(read) == 4


def test_the_md5_memo_is_committed_as_it_goes(tmp_path: Path, monkeypatch) -> None:
    """A tree of 100,000s of files is hashed for minutes: the memo commits every ``COMMIT_EVERY``
    files, so another dataset's run can write to it meanwhile instead of waiting for the lock."""
    import os
    import sqlite3
    import time

    from datavet.sources import file_state

    monkeypatch.setattr(file_state, "COMMIT_EVERY", 3)
    old = time.time_ns() - 10**10
    paths = []
    for i in range(3):
        paths.append(tmp_path / f"f{i}")
        paths[-1].write_bytes(b"x" * i)
        os.utime(paths[-1], ns=(old, old))
    time.sleep(0.05)  # their ctime settled: remembered
    with file_state.file_states(tmp_path / "cache") as states:
        for path in paths:
            states.md5_of(path, file_md5)
        assert states.conn.execute("SELECT count(*) FROM states").fetchone()[0] == 3
        other = sqlite3.connect(tmp_path / "cache" / file_state.STATE_DB, timeout=0.2)
        with other:  # would raise "database is locked" were the three still uncommitted
            other.execute("INSERT INTO states VALUES ('elsewhere', 0, 0, 0, 0, 0, '')")
        other.close()


def test_csv_glob_is_one_part_per_file(tmp_path: Path, lake: dict[str, Any], monkeypatch) -> None:
    """``path: data/*.csv`` with ``partitioned``: each file's part is the one-file version of that file;
    a file added later is the only one parsed; under another writer layout none is reused; a column
    typed differently across files is refused."""
    from datavet.errors import DataError, SpecError
    from datavet.registry import Registry
    from datavet.sources import csv_glob

    lines = (SHARED_DATA / "adult.data").read_bytes().splitlines(keepends=True)
    data = tmp_path / "data"
    data.mkdir()
    for i, start in enumerate((0, 12_000, 24_000)):
        (data / f"month-{i}.csv").write_bytes(b"".join(lines[start:start + 12_000]))
    settings = Settings(project=tmp_path, home=tmp_path / ".datavet")

    def version(staging: str, path: str = str(data / "*.csv"), **extra: Any):
        spec = {"name": "people", "title": "people", "owner": "t@example.org", "license": "CC0", "columns": {},
                "checks": {}, "source": {"path": path, "options": ADULT_OPTIONS, **extra}}
        where = tmp_path / "datasheets" / "people" / "dataset.yaml"
        made = source_for(LoadedSpec(spec=parse_spec(spec, where), path=where, root=tmp_path),
                          settings).materialise(tmp_path / staging)
        if extra.get("partitioned"):
            Registry.of(settings).cache_tree(made.path, made.entries, made.staged)
        return made

    made = version("a", partitioned=True)
    assert [e.relpath for e in made.entries] == [f"part-month-{i}.csv.parquet" for i in range(3)]
    for i, entry in enumerate(made.entries):  # byte for byte the one-file version of the file
        assert entry.md5 == version(f"one-{i}", str(data / f"month-{i}.csv")).md5
    csv = pd.read_parquet(lake["csv"])
    whole = pd.read_parquet(made.table)
    pd.testing.assert_frame_equal(whole.sort_values(list(csv.columns), ignore_index=True),
                                  csv.sort_values(list(csv.columns), ignore_index=True), check_exact=True)

    (data / "month-3.csv").write_bytes(b"".join(lines[:50]))
    grown = version("b", partitioned=True)
    assert grown.staged == {"part-month-3.csv.parquet"} and grown.rows == 32561 + 50
    monkeypatch.setattr(csv_glob, "LAYOUT", csv_glob.LAYOUT + 1)  # a release whose writer chooses otherwise
    relaid = version("f", partitioned=True)
    assert relaid.staged == {e.relpath for e in relaid.entries} and relaid.md5 == grown.md5  # every part written
    monkeypatch.undo()
    (data / "month-4.csv").write_bytes(lines[0].replace(b"39,", b"?,", 1))  # age: text in this file
    with pytest.raises(DataError, match="column 'age' is read as") as info:
        version("c", partitioned=True)
    assert info.value.column == "age" and info.value.dataset == "people"
    with pytest.raises(SpecError, match="needs partitioned: true"):
        version("d")
    with pytest.raises(DataError, match="needs a glob in source.path"):
        version("e", str(data / "month-0.csv"), partitioned=True)


def test_added_part_counts_duplicates_as_a_full_recount(tmp_path: Path) -> None:
    """A version that adds a part finds its duplicate rows from the previous version's merged hashes
    (no new merge kept): rows copied from old parts, copied with another identifying value, and
    repeated within the new part are counted as pandas counts them, with and without identifying columns."""
    from datavet.engines import engine_for
    from datavet.engines.parts import profile
    from datavet.registry import Registry

    lines = (SHARED_DATA / "adult.data").read_bytes().splitlines(keepends=True)
    data = tmp_path / "data"
    data.mkdir()
    for i in range(3):
        (data / f"month-{i}.csv").write_bytes(b"".join(lines[i * 8000:(i + 1) * 8000]))
    settings = Settings(project=tmp_path, home=tmp_path / ".datavet")
    engine = engine_for("duckdb", settings)
    cache = tmp_path / "counts"

    def version(staging: str) -> tuple[Any, Any]:
        spec = {"name": "people", "title": "people", "owner": "t@example.org", "license": "CC0", "columns": {},
                "checks": {}, "source": {"path": str(data / "*.csv"), "options": ADULT_OPTIONS, "partitioned": True}}
        where = tmp_path / "datasheets" / "people" / "dataset.yaml"
        made = source_for(LoadedSpec(spec=parse_spec(spec, where), path=where, root=tmp_path),
                          settings).materialise(tmp_path / staging)
        Registry.of(settings).cache_tree(made.path, made.entries, made.staged)
        return made, profile(engine, made.table, cache, time_columns=[], label_columns=["income"],
                             missing_tokens=["?"], identifying_columns=["fnlwgt"])

    version("a")
    merges = cache / "rowhashes" / "merged"
    kept = sorted(merges.glob("*.npy"))
    assert len(kept) == 2  # all columns, and all but the identifying one

    def reweighed(line: bytes) -> bytes:  # the same person under another identifying value
        cells = line.split(b",")
        return b",".join([cells[0], b" 999999999", *cells[2:]])

    planted = [*lines[100:150], *(reweighed(x) for x in lines[8100:8130]), *lines[24000:26000], *lines[24000:24010]]
    (data / "month-3.csv").write_bytes(b"".join(planted))
    made, found = version("b")
    assert made.staged == {"part-month-3.csv.parquet"}
    assert sorted(merges.glob("*.npy")) == kept  # placed into the kept merge, not merged again
    whole = pd.read_parquet(made.table)
    assert found.rows == len(whole) == 24000 + len(planted)
    assert found.duplicate_rows == int(whole.duplicated().sum())
    kept_columns = [c for c in whole.columns if c != "fnlwgt"]
    assert found.duplicate_rows_without_identifying == int(whole[kept_columns].duplicated().sum())
    assert found.duplicate_rows >= 60 and found.duplicate_rows_without_identifying >= found.duplicate_rows + 30
    cold = profile(engine, made.table, tmp_path / "cold", time_columns=[], label_columns=["income"],
                   missing_tokens=["?"], identifying_columns=["fnlwgt"])
    assert cold == found
