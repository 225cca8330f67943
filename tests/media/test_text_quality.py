"""The ``text_quality`` check: length and Unicode-script shares per group, on Titanic's ``Name`` and
on texts built here from known code-point ranges (the expected script counts are known by
construction, not by asking ``unicodedata``), in a table and as text files of a tree."""

from __future__ import annotations

import math
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from datavet.checks import run_checks
from datavet.pipeline import validate, version
from datavet.privacy import publish_result
from datavet.spec import load_spec
from tests.conftest import SHARED_DATA, make_project
from tests.files.conftest import FilesProject

# script -> code points that are letters of it (lower-case runs; Arabic letters ALEF..YEH)
RANGES = {"Latin": range(0x61, 0x7B), "Cyrillic": range(0x430, 0x450), "Greek": range(0x3B1, 0x3CA),
          "Han": range(0x4E00, 0x4F00), "Arabic": range(0x627, 0x64B)}
GROUPS = {"ru": ("Cyrillic",), "zh": ("Han",), "ar": ("Arabic",), "el": ("Greek", "Latin"),
          "mix": ("Latin", "Cyrillic"), "tiny": ("Latin",)}


def smd_of(stats: dict[str, tuple[float, float]]) -> tuple[float, list[str]]:
    return max((abs(stats[a][0] - stats[b][0]) / math.sqrt((stats[a][1] ** 2 + stats[b][1] ** 2) / 2), [a, b])
               for a, b in combinations(sorted(stats), 2))


def titanic_expected() -> tuple[pd.DataFrame, dict]:
    df = pd.read_csv(SHARED_DATA / "titanic_train.csv", keep_default_na=False, dtype=str)
    length = df["Name"].str.len()
    letters = df["Name"].map(lambda s: [c for c in s if c.isalpha()])
    latin = letters.map(lambda cs: sum(ord(c) < 0x250 for c in cs))
    return df, {"length": length, "letters": letters.map(len), "latin": latin}


def test_titanic_names_by_sex_equal_pandas(tmp_path: Path) -> None:
    df, want = titanic_expected()
    spec = {"name": "titanic", "title": "Titanic", "owner": "qa@example.org", "license": "CC0-1.0",
            "source": {"path": str(SHARED_DATA / "titanic_train.csv"), "format": "csv"},
            "columns": {"Sex": {"role": "protected"}},
            "checks": {"text_quality": [{"by": "Sex", "column": "Name", "max_smd": 0.5}]}}
    loaded = load_spec(make_project(tmp_path, spec))
    report = run_checks(loaded, SHARED_DATA / "titanic_train.csv", engine="duckdb", store=False)
    result = next(c for c in report.checks if c.check == "text_quality")
    o = result.observed
    assert o["texts"] == len(df) == 891 and o["rows"] == df["Sex"].value_counts().to_dict()
    stats = {}
    for sex, idx in df.groupby("Sex").groups.items():
        length = want["length"][idx]
        stats[sex] = (length.mean(), length.std(ddof=0))
        assert abs(o["means"][sex]["length"] - stats[sex][0]) <= 1e-9
        assert abs(o["spreads"][sex]["length"] - stats[sex][1]) <= 1e-9
        assert o["script_shares"][sex] == {"Latin": want["latin"][idx].sum() / want["letters"][idx].sum()} == {
            "Latin": 1.0}
    top = smd_of(stats)
    assert abs(o["smd"]["length"] - top[0]) <= 1e-9 and o["smd_groups"]["length"] == top[1]
    assert top[0] > 0.5 and not result.success  # women's names carry their husbands' too
    assert o["script_rows"] == {sex: {"Latin": n} for sex, n in o["rows"].items()}


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    """12 texts per group (2 in "tiny"), words of 1..12 letters drawn from each group's scripts, with
    digits, spaces and punctuation between them; the letters per script are counted as drawn."""
    rng = np.random.default_rng(23)
    rows = []
    for group, scripts in GROUPS.items():
        for _ in range(2 if group == "tiny" else 12):
            parts, counts = [], dict.fromkeys(RANGES, 0)
            for _ in range(int(rng.integers(1, 6))):
                script = scripts[int(rng.integers(0, len(scripts)))]
                word = "".join(chr(int(rng.choice(list(RANGES[script])))) for _ in range(int(rng.integers(1, 13))))
                counts[script] += len(word)
                parts.append(word + rng.choice([" ", ", ", " 42 ", "-", ". "]))
            text = "".join(parts)
            rows.append({"group": group, "text": text, "length": len(text), **counts})
    return pd.DataFrame(rows)


def expected_shares(frame: pd.DataFrame) -> dict[str, float]:
    totals = {s: int(frame[s].sum()) for s in RANGES if frame[s].sum() > 0}
    return {s: n / sum(totals.values()) for s, n in sorted(totals.items())}


def check_sample(o: dict, sample: pd.DataFrame) -> None:
    assert o["texts"] == len(sample)
    assert o["rows"] == sample["group"].value_counts().to_dict()
    stats = {}
    for group, frame in sample.groupby("group"):
        stats[group] = (frame["length"].mean(), frame["length"].std(ddof=0))
        assert abs(o["means"][group]["length"] - stats[group][0]) <= 1e-9
        assert abs(o["spreads"][group]["length"] - stats[group][1]) <= 1e-9
        got, want = o["script_shares"][group], expected_shares(frame)
        assert got.keys() == want.keys() and all(abs(got[s] - want[s]) <= 1e-12 for s in want), group
    assert abs(o["smd"]["length"] - smd_of(stats)[0]) <= 1e-9
    for group, frame in sample.groupby("group"):
        assert o["script_rows"][group] == {s: int((frame[s] > 0).sum()) for s in RANGES if (frame[s] > 0).any()}


def test_a_multi_script_table_equals_the_counts_drawn_and_small_groups_are_withheld(sample, tmp_path) -> None:
    path = tmp_path / "texts.csv"
    sample[["group", "text"]].to_csv(path, index=False)
    spec = {"name": "texts", "title": "Texts", "owner": "qa@example.org", "license": "CC0-1.0",
            "source": {"path": str(path), "format": "csv"}, "columns": {"group": {"role": "protected"}},
            "checks": {"text_quality": [{"by": "group", "column": "text"}]}}
    loaded = load_spec(make_project(tmp_path / "p", spec))
    report = run_checks(loaded, path, engine="pandas", store=False)
    result = next(c for c in report.checks if c.check == "text_quality")
    check_sample(result.observed, sample)
    o = result.observed
    few = next((g, s) for g in ("el", "mix") for s, n in o["script_rows"][g].items() if n < 10)  # a rare script
    published = publish_result(result.model_copy(deep=True), 10).observed
    assert published["rows"]["tiny"] == "<10" and published["script_shares"]["tiny"] in (None, {"Latin": None})
    assert published["means"]["tiny"] is None and published["script_shares"]["ru"] == {"Cyrillic": 1.0}
    assert published["script_rows"][few[0]][few[1]] == "<10" and published["script_shares"][few[0]][few[1]] is None
    assert published["texts"] is None  # the total less the other groups would give "tiny" back


def test_text_files_of_a_tree_equal_the_counts_drawn(sample, tmp_path) -> None:
    root = tmp_path / "tree"
    for i, row in enumerate(sample.itertuples()):
        (root / row.group).mkdir(parents=True, exist_ok=True)
        (root / row.group / f"{i:03d}.txt").write_text(row.text, encoding="utf-8")
    (root / "ru" / "latin1.txt").write_bytes("plain start, then caf\xe9".encode("latin-1"))  # not UTF-8
    project = FilesProject(tmp_path / "p", "texts")
    project.write_spec({
        "name": "texts", "title": "Texts", "owner": "qa@example.org", "license": "CC0-1.0",
        "source": {"files": {"root": str(root), "include": ["*/*.txt"]}, "labels_from_path": "^(?P<group>[a-z]+)/"},
        "columns": {"group": {"role": "protected"}}, "small_cell_threshold": 1,
        "checks": {"text_quality": [{"by": "group"}], "files": {"max_unreadable_files": 5}}})
    loaded = project.loaded()
    report = validate(loaded, project.settings, version(loaded, project.settings).md5)
    check_sample(next(c for c in report.checks if c.check == "text_quality").observed, sample)
    files = next(c for c in report.checks if c.check == "files").observed
    assert files["unreadable_files"] == 1


def test_a_text_file_read_in_blocks_that_cut_characters_counts_them_once(sample, tmp_path, monkeypatch) -> None:
    from datavet.sources import text_facts as tf

    text = "".join(sample["text"])
    (tmp_path / "all.txt").write_text(text, encoding="utf-8")
    monkeypatch.setattr(tf, "BLOCK", 7)  # cuts many 2- and 3-byte characters in two
    got = tf.file_text_facts(tmp_path / "all.txt")
    assert got.length == len(text) == sample["length"].sum()
    assert got.scripts == {s: int(sample[s].sum()) for s in sorted(RANGES)}
    (tmp_path / "cut.txt").write_bytes((text + "ж").encode("utf-8")[:-1])  # ends inside a character
    with pytest.raises(UnicodeDecodeError):
        tf.file_text_facts(tmp_path / "cut.txt")


def test_figures_of_a_hand_built_table_with_a_private_attribute() -> None:
    from datavet.checks.text_quality import text_quality

    table = {"columns": ["g", "t"],
             "rows": [[["a", "Иван Ivan"], 3], [["a", None], 2], [["b", "Bob 7"], 1], [[None, "xy"], 1],
                      [["?", "z"], 1], [["b", "?"], 4]]}
    o = text_quality(table, ["?"], max_smd=0.1).observed
    assert o["texts"] == 3 + 1 + 1 + 1 and o["rows"] == {"a": 3, "b": 1}  # "?" is missing, as text and as group
    assert o["means"] == {"a": {"length": 9.0}, "b": {"length": 5.0}} and o["spreads"]["a"]["length"] == 0.0
    assert o["script_shares"] == {"a": {"Cyrillic": 0.5, "Latin": 0.5}, "b": {"Latin": 1.0}}
    assert o["script_rows"] == {"a": {"Cyrillic": 3, "Latin": 3}, "b": {"Latin": 1}}
    assert o["smd"]["length"] is None  # both spreads are 0
    private = text_quality(table, ["?"], private_by=True).observed
    assert set(private["rows"]) == set(private["script_shares"]) == set(private["script_rows"]) == {"group-1",
                                                                                                   "group-2"}
    assert sorted(private["script_rows"].values(), key=len) == [{"Latin": 1}, {"Cyrillic": 3, "Latin": 3}]
