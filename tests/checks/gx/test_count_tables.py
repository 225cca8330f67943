"""One scan for every count table: ``datavet.count_tables`` answers the suite's whole plan with the
same tables the per-table metrics compute, in one SQL query (one group-by per column set on pandas),
and a check on a new column set adds a grouping set, not a query."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pandas as pd
import pytest
import sqlalchemy as sa

from datavet.engines import ParquetTable, engine_for
from datavet.gx.plan import CountPlan, grouping_sets, missing_plan, planned, suite_plan, value_plan
from tests.checks.conftest import Project, adult_spec, by_check


@pytest.fixture(scope="module")
def adult(module_tmp):
    return Project(module_tmp / "adult", adult_spec())


def _sorted(table: dict) -> dict:
    """A count table with its rows in a canonical order (SQL returns groups in any order); NaN keys
    are compared as a marker since NaN != NaN."""
    def key(v):
        return ("<nan>",) if isinstance(v, float) and math.isnan(v) else (type(v).__name__, v)

    def norm(k):
        return [("<nan>" if isinstance(v, float) and math.isnan(v) else v) for v in k]

    if "rows" in table:
        return {**table, "rows": sorted(([norm(k), n] for k, n in table["rows"]), key=lambda r: [key(v) for v in r[0]])}
    return {**table, "groups": sorted(([norm(k), n, c] for k, n, c in table["groups"]),
                                      key=lambda g: [key(v) for v in g[0]])}


def _metrics(engine: str, project: Project, configurations: dict[str, tuple[str, dict]]) -> dict:
    """Compute metrics through GX on ``engine`` over the project's data: {name: value}."""
    from great_expectations.validator.metric_configuration import MetricConfiguration
    from great_expectations.validator.v1_validator import Validator

    import datavet.gx  # noqa: F401  (registers the metrics)
    from datavet.gx.batches import fetch_inside_connection

    runner = engine_for(engine, project.settings)
    table = ParquetTable(project.parquet)
    batch_definition, parameters = runner.gx_batch(table)
    validator = Validator(batch_definition=batch_definition, batch_parameters=parameters)
    wrapped = validator._wrapped_validator
    fetch_inside_connection(wrapped.execution_engine)
    domain = {"batch_id": wrapped.active_batch_id}
    confs = {k: MetricConfiguration(metric_name=m, metric_domain_kwargs=domain, metric_value_kwargs=kw)
             for k, (m, kw) in configurations.items()}
    values, aborted = wrapped.compute_metrics(list(confs.values()), runtime_configuration={})
    assert not aborted, aborted
    return {k: values[c.id] for k, c in confs.items()}


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_count_tables_equal_the_per_table_metrics_on_adult(adult, engine):
    plan = (value_plan(["sex"]) | value_plan(["race", "sex"]) | value_plan(["sex", "race"])
            | value_plan(["race", "income"]) | value_plan(["native-country"])
            | missing_plan([], ["?"]) | missing_plan(["sex"], ["?"]) | missing_plan(["race"], [])
            | missing_plan(["sex"], ["?", "Private"]))
    wanted = {"all": ("datavet.count_tables", plan.kwargs())}
    for cols in plan.value_sets:
        wanted[f"v{cols}"] = ("datavet.value_counts", {"group_columns": list(cols)})
    for by, tokens in plan.missing:
        wanted[f"m{by}{tokens}"] = ("datavet.missing_counts", {"by": list(by), "missing_tokens": list(tokens)})
    got = _metrics(engine, adult, wanted)
    tables = got["all"]
    assert set(tables["value_counts"]) == set(plan.value_sets)
    assert set(tables["missing_counts"]) == set(plan.missing)
    for cols in plan.value_sets:
        assert _sorted(tables["value_counts"][cols]) == _sorted(got[f"v{cols}"]), cols
    for by, tokens in plan.missing:
        assert _sorted(tables["missing_counts"][(by, tokens)]) == _sorted(got[f"m{by}{tokens}"]), (by, tokens)
    # independent figure: pandas by hand on the data as read by ingest
    sex = {k[0]: n for k, n in tables["value_counts"][("sex",)]["rows"]}
    assert sex == adult.df["sex"].value_counts().to_dict()
    (whole,) = tables["missing_counts"][((), ("?",))]["groups"]
    assert whole[1] == len(adult.df)
    assert whole[2]["workclass"] == [int(adult.df["workclass"].isna().sum()),
                                     int((adult.df["workclass"].astype(str).str.strip() == "?").sum())]


def _queries(project: Project, spec_checks: dict) -> tuple[list[str], object]:
    """The SQL statements a DuckDB run of the suite sends (a real SQLAlchemy event listener)."""
    from tests.checks.conftest import make_loaded

    spec = {**adult_spec(), "checks": spec_checks}
    loaded, _ = make_loaded(project.settings.project / "variant", spec)
    seen: list[str] = []

    def listen(conn, cursor, statement, *args):
        seen.append(statement)

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", listen)
    try:
        from datavet.checks import run_checks

        report = run_checks(loaded, project.parquet, engine="duckdb", settings=project.settings, store=False)
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", listen)
    return [s for s in seen if "read_parquet" in s], report


CHECKS = {"missingness": {"max_rate": 0.2, "parity": [{"column": "occupation", "by": "sex", "max_diff": 0.1}]},
          "representation": [{"column": "sex", "min_count": 10}, {"column": "race", "min_count": 10}],
          "intersectional": [{"columns": ["sex", "race"], "min_count": 5}]}


def test_one_scan_whatever_the_number_of_checks(adult):
    queries, report = _queries(adult, CHECKS)
    scans = [q for q in queries if "LIMIT" not in q.upper()]  # the LIMIT 0 query reads the types only
    assert len(scans) == 1, scans  # value and missing counts: one GROUPING SETS query, one read
    assert "GROUPING SETS" in scans[0] and scans[0].count("read_parquet") == 1
    more = {**CHECKS,
            "missingness": {"max_rate": 0.2, "parity": [{"column": c, "by": b, "max_diff": 0.1}
                                                        for c in ("occupation", "workclass") for b in ("sex", "race")]},
            "representation": [{"column": c, "min_count": 10} for c in ("sex", "race", "relationship", "income")],
            "intersectional": [{"columns": ["sex", "race"], "min_count": 5},
                               {"columns": ["race", "relationship", "sex"], "min_count": 5}],
            "label_balance": [{"label": "income", "by": b, "min_disparate_impact": 0.1} for b in ("sex", "race")]}
    queries_more, report_more = _queries(adult, more)
    def listed(r) -> list:  # the spec's own checks (default breakdowns come on top: checks/breakdowns.py)
        return [c for c in r.checks if not c.breakdown]

    assert len(listed(report_more)) == len(listed(report)) + 8  # 3 parity, 2 representation, 1 cell, 2 balance
    assert len([q for q in queries_more if "LIMIT" not in q.upper()]) == 1
    # the figures of the checks both runs share are the same
    (rep,) = by_check(report, "representation", column="race")
    (rep_more,) = by_check(report_more, "representation", column="race")
    assert rep.observed == rep_more.observed


def test_pandas_groups_each_column_set_once(adult, monkeypatch):
    from datavet.gx.metrics.count_tables import pandas_tables

    plan = (value_plan(["sex"]) | value_plan(["race", "sex"]) | value_plan(["sex", "race"])
            | missing_plan([], ["?"]) | missing_plan(["sex"], ["?"]) | missing_plan(["sex"], []))
    calls: list[object] = []
    original = pd.DataFrame.groupby

    def counting(self, *args, **kwargs):
        calls.append(args[0] if args else kwargs.get("by"))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "groupby", counting)
    tables = pandas_tables(adult.df, plan)
    monkeypatch.undo()
    assert len(calls) == len([s for s in grouping_sets(plan) if s]) == 2  # {sex} and {race, sex}
    by_hand = adult.df.groupby(["race", "sex"]).size()
    got = {tuple(k): n for k, n in tables["value_counts"][("race", "sex")]["rows"]}
    assert got == {k: int(n) for k, n in by_hand.items()}
    flipped = {tuple(k): n for k, n in tables["value_counts"][("sex", "race")]["rows"]}
    assert flipped == {(s, r): n for (r, s), n in got.items()}


def test_plan_is_shared_only_when_it_covers_the_expectation(adult):
    import datavet.gx  # noqa: F401
    from datavet.gx.expectations.expect_column_representation_to_match_reference import (
        ExpectColumnRepresentationToMatchReference,
    )
    from datavet.gx.plan import plan_for

    e = ExpectColumnRepresentationToMatchReference(column="sex", min_count=1, missing_tokens=["?"])
    assert e.count_plan() == value_plan(["sex"])
    assert plan_for(e.count_plan()) == value_plan(["sex"])  # no plan current: its own table only
    suite = suite_plan([e])
    bigger = suite | value_plan(["race"])
    with planned(bigger):
        assert plan_for(e.count_plan()) == bigger
    with planned(value_plan(["race"])):  # a plan that lacks its table is not used
        assert plan_for(e.count_plan()) == value_plan(["sex"])
    assert CountPlan.from_kwargs(bigger.kwargs()) == bigger


def test_many_tokens_pack_into_several_patterns_with_the_same_counts_as_pandas(adult):
    """40 tokens (most of them values Adult really holds, as text, integers and floats) need 6 bits
    per column, so the 15 columns' missing codes span two packed patterns: every count equals the
    pandas group-by's, which counts with vectorised masks and no packing."""
    from datavet.gx.metrics.codes import CodeLayout

    occurring = ["Private", "Male", "White", "United-States", "Husband", ">50K", "0", "40", "HS-grad", "?"]
    tokens = occurring + [f"token-{i}" for i in range(40 - len(occurring))]
    layout = CodeLayout.of(list(adult.df.columns), sorted(tokens))
    assert layout.patterns == 2
    plan = (missing_plan([], tokens) | missing_plan(["sex"], tokens[:3]) | missing_plan(["race", "sex"], tokens)
            | value_plan(["sex"]) | value_plan(["education", "sex"]))
    got = {e: _metrics(e, adult, {"all": ("datavet.count_tables", plan.kwargs())})["all"] for e in ("pandas", "duckdb")}
    for kind in ("value_counts", "missing_counts"):
        assert set(got["duckdb"][kind]) == set(got["pandas"][kind])
        for key in got["pandas"][kind]:
            assert _sorted(got["duckdb"][kind][key]) == _sorted(got["pandas"][kind][key]), key
    (whole,) = got["duckdb"]["missing_counts"][((), tuple(tokens))]["groups"]
    slot = 1 + tokens.index("Private")
    assert whole[2]["workclass"][slot] == int((adult.df["workclass"].astype(str).str.strip() == "Private").sum()) > 0


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_a_token_inside_other_text_or_padded_is_counted_as_python_strips_it(adult, tmp_path, engine, request):
    """The query answers a text cell that holds no token before stripping it (``no_token_inside``,
    Spark's ``contains``); cells holding a token inside other text, padded with any stripped
    whitespace, or beside a letter are counted as Python's ``strip`` counts them, on DuckDB and
    Spark as on pandas."""
    if engine == "spark":
        request.getfixturevalue("spark_session")
    values = ["?", " ? ", "\t?\n", "a?b", "?x", "x?", "unknown", "\x0bunknown\x0c", "unknownx", "un known",
              None, "", " ", "x"]
    frame = pd.DataFrame({"v": values * 3, "g": ["a", "b", "c"] * len(values)})
    path = tmp_path / "tokens.parquet"
    frame.to_parquet(path, index=False)
    project = SimpleNamespace(settings=adult.settings, parquet=path)
    tokens = ["?", "unknown"]
    plan = missing_plan([], tokens) | missing_plan(["g"], tokens)
    wanted = {"all": ("datavet.count_tables", plan.kwargs())}
    got = {e: _metrics(e, project, wanted)["all"] for e in ("pandas", engine)}
    (whole,) = got[engine]["missing_counts"][((), tuple(tokens))]["groups"]
    stripped = [None if v is None else v.strip(" \t\n\r\x0b\x0c") for v in values * 3]
    assert whole[2]["v"] == [stripped.count(None), stripped.count("?"), stripped.count("unknown")] == [3, 9, 6]
    for key in got["pandas"]["missing_counts"]:
        assert _sorted(got[engine]["missing_counts"][key]) == _sorted(got["pandas"]["missing_counts"][key]), key


def test_the_query_names_its_own_columns_apart_from_the_data():
    from datavet.gx.metrics.codes import internal_prefix

    assert internal_prefix(["sex", "race"]) == "__datavet_"
    prefix = internal_prefix(["sex", "__datavet_p0", "___datavet_rows"])
    assert not any(c.startswith(prefix) for c in ["sex", "__datavet_p0", "___datavet_rows"])
