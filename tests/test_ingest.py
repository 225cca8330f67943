"""Ingest: the parsing traps of real published files, and a deterministic version identity."""

from __future__ import annotations

import pandas as pd
import pyarrow.parquet as pq
import pytest

from datavet.errors import ColumnNotFoundError, DataError
from datavet.ingest import file_md5, read_source, write_parquet
from datavet.spec import LoadedSpec, load_spec, parse_spec
from tests.conftest import ADULT_SPEC, SHARED_DATA, adult_spec_dict


def _loaded(tmp_path, **changes) -> LoadedSpec:
    data = adult_spec_dict()
    data.update(changes)
    path = tmp_path / "datasheets" / data["name"] / "dataset.yaml"
    return LoadedSpec(spec=parse_spec(data, path), path=path, root=load_spec(ADULT_SPEC).root)


def test_adult_reads_as_published_with_tokens_kept():
    df = read_source(load_spec(ADULT_SPEC))
    assert df.shape == (32561, 15)
    assert (df["occupation"] == "?").sum() == 1843  # the check, not ingest, treats "?" as missing
    assert (df["workclass"] == "?").sum() == 1836
    assert df["age"].dtype == "int64"


def test_same_source_gives_the_same_md5(tmp_path):
    df = read_source(load_spec(ADULT_SPEC))
    first = write_parquet(df, tmp_path / "a.parquet")
    second = write_parquet(read_source(load_spec(ADULT_SPEC)), tmp_path / "b.parquet")
    assert first == second == file_md5(tmp_path / "a.parquet")
    schema = pq.read_schema(tmp_path / "a.parquet")
    assert str(schema.field("age").type) == "int64" and str(schema.field("sex").type) == "string"
    assert schema.metadata is None  # no pandas metadata: the bytes depend on the data only


def test_namibia_is_not_missing(tmp_path):
    codes = tmp_path / "codes.csv"
    codes.write_text("country,n\nNA,1\nNAM,2\n,3\n")
    loaded = _loaded(tmp_path, source={"path": str(codes)}, columns={}, checks={})
    df = read_source(loaded)
    assert df["country"].tolist()[:2] == ["NA", "NAM"] and pd.isna(df["country"][2])


def test_titanic_empty_cells_are_missing(tmp_path):
    loaded = _loaded(tmp_path, name="titanic", source={"path": str(SHARED_DATA / "titanic_train.csv")},
                     columns={}, checks={}, missing_tokens=[])
    df = read_source(loaded)
    assert df["Age"].isna().sum() == 177 and df["Cabin"].isna().sum() == 687 and df["Embarked"].isna().sum() == 2


def test_missing_source_file(tmp_path):
    loaded = _loaded(tmp_path, source={"path": str(tmp_path / "nope.csv")})
    with pytest.raises(DataError, match="does not exist") as err:
        read_source(loaded)
    assert "adult" in str(err.value) and "Fix:" in str(err.value)


def test_column_named_in_spec_but_absent(tmp_path):
    data = adult_spec_dict()
    data["columns"]["gender"] = {"role": "protected"}
    loaded = _loaded(tmp_path, columns=data["columns"])
    with pytest.raises(ColumnNotFoundError, match="'gender'") as err:
        read_source(loaded)
    assert "column 'gender'" in str(err.value) and "Fix:" in str(err.value)


def test_duplicate_header_names_are_refused(tmp_path):
    csv = tmp_path / "dupes.csv"
    csv.write_text("sex,age,sex\nMale,30,M\n")
    loaded = _loaded(tmp_path, source={"path": str(csv)}, columns={}, checks={})
    with pytest.raises(DataError, match="repeats the column name 'sex'"):
        read_source(loaded)


def test_ragged_rows_are_refused(tmp_path):
    csv = tmp_path / "ragged.csv"
    csv.write_text("a,b\n1,2\n3,4,5\n")
    loaded = _loaded(tmp_path, source={"path": str(csv)}, columns={}, checks={})
    with pytest.raises(DataError, match="not a well-formed CSV"):
        read_source(loaded)


def test_wrong_encoding_names_the_fix(tmp_path):
    csv = tmp_path / "latin1.csv"
    csv.write_bytes("name,country\nJos\xe9,Espa\xf1a\n".encode("latin-1"))
    loaded = _loaded(tmp_path, source={"path": str(csv)}, columns={}, checks={})
    with pytest.raises(DataError, match="source.options.encoding"):
        read_source(loaded)


def test_corrupt_parquet(tmp_path):
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"PAR1 this is not parquet")
    loaded = _loaded(tmp_path, source={"path": str(bad), "format": "parquet", "options": {}}, columns={}, checks={})
    with pytest.raises(DataError, match="cannot read"):
        read_source(loaded)


def test_label_without_positive_lists_no_value_of_a_private_column(tmp_path):
    """The refusal names the values it saw, except for an identifying or sensitive column."""
    from datavet.ingest import check_role_columns

    data = adult_spec_dict()
    data["columns"]["race"] = {"role": "sensitive"}
    data["checks"]["label_balance"] = [{"label": "race", "by": "sex", "positive": "Martian"}]
    path = tmp_path / "datasheets" / data["name"] / "dataset.yaml"
    loaded = LoadedSpec(spec=parse_spec(data, path), path=path, root=load_spec(ADULT_SPEC).root)
    df = read_source(loaded)
    with pytest.raises(DataError) as err:
        check_role_columns(loaded, df)
    text = str(err.value)
    assert "'Martian'" in text and "5 distinct values, not listed" in text
    for value in df["race"].unique():
        assert value not in text, value
    # a column that is not private still shows what it holds, so the fix is obvious
    data["columns"]["race"] = {"role": "protected"}
    loaded = LoadedSpec(spec=parse_spec(data, path), path=path, root=load_spec(ADULT_SPEC).root)
    with pytest.raises(DataError, match="Amer-Indian-Eskimo"):
        check_role_columns(loaded, df)
