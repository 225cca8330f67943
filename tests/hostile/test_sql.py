"""SQL sources against a real PostgreSQL: a query is one read-only SELECT or it is refused, every
connection datavet opens is read-only, and a URL's password is never printed, however it is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from datavet.database import create_engine, masked
from datavet.engines.base import SqlTable
from datavet.engines.sql import SqlEngine
from datavet.errors import DataError
from datavet.settings import Settings
from tests.hostile.conftest import assert_refused, run_cli, titanic_spec, write_project
from tests.pg import PASSWORD

URL_ENV = "DATAVET_HOSTILE_PG_URL"
ATTACK = "SELECT * FROM people) AS x; DROP TABLE victim; COMMIT; SELECT * FROM (SELECT * FROM people"

REFUSED = {
    # the attack: closes the subquery datavet wraps the query in
    "closing the subquery": ATTACK,
    "two statements": "SELECT * FROM people; DROP TABLE victim",
    "a data-modifying WITH": "WITH gone AS (DELETE FROM victim RETURNING *) SELECT * FROM people",
    "SELECT INTO": "SELECT * INTO stolen FROM people",
    "FOR UPDATE": "SELECT * FROM people FOR UPDATE",
    "lo_import": "SELECT lo_import('/etc/passwd') AS oid, * FROM people",
    "schema-qualified set_config": "SELECT pg_catalog.set_config('default_transaction_read_only', 'off', false), "
                                   "* FROM people",
    "query_to_xml runs SQL given as text": "SELECT query_to_xml('DROP TABLE victim', true, true, '') FROM people",
    "not a SELECT": "DELETE FROM victim",
    "EXPLAIN ANALYZE of a DELETE": "EXPLAIN ANALYZE DELETE FROM victim",
}
ALLOWED = ["SELECT * FROM people", "WITH w AS (SELECT * FROM people) SELECT * FROM w -- a trailing comment",
           "SELECT * FROM people WHERE pg_sleep(0) IS NOT NULL;"]


def victim_rows(server) -> int:
    import psycopg2

    with psycopg2.connect(server.dsn()) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM victim")
        (n,) = cur.fetchone()
    conn.close()
    return int(n)


def sql_spec(query: str) -> dict:
    spec = titanic_spec("people")
    spec["source"] = {"sql": {"url_env": URL_ENV, "query": query}}
    return spec


@pytest.mark.parametrize("case", list(REFUSED))
def test_a_query_that_is_not_one_read_only_select_is_refused(case, pg_server, tmp_path):
    write_project(tmp_path, sql_spec(REFUSED[case]))
    run = run_cli(tmp_path, "check", "datasheets/people/dataset.yaml", env={URL_ENV: pg_server.url()})
    assert_refused(run, "source.sql.query is refused", "dataset.yaml", secrets=(PASSWORD,))
    assert victim_rows(pg_server) == 3


@pytest.mark.parametrize("query", ALLOWED)
def test_a_read_only_select_still_runs(query, pg_server, tmp_path):
    import pandas as pd

    from tests.hostile.conftest import TITANIC

    write_project(tmp_path, sql_spec(query))
    run = run_cli(tmp_path, "check", "datasheets/people/dataset.yaml", "--engine", "sql",
                  env={URL_ENV: pg_server.url()})
    assert run.code == 0, run.text[-3000:]
    assert f"on {len(pd.read_csv(TITANIC))} rows" in run.out, run.out


def test_every_connection_is_read_only_even_past_the_parser(pg_server, tmp_path):
    """The parse is the first line; the second is the session: the attack, handed to the engine as if
    the parser had let it through, drops nothing."""
    import sqlalchemy as sa

    engine = SqlEngine(Settings(project=tmp_path))
    table = SqlTable(pg_server.url(), "people", query=ATTACK)
    try:
        with pytest.raises(DataError) as exc:
            engine.columns(table)
    finally:
        engine.close()
    assert "read-only transaction" in str(exc.value) and PASSWORD not in str(exc.value)
    with pytest.raises(sa.exc.InternalError, match="read-only transaction"), \
            create_engine(pg_server.url(), "people").connect() as conn:
        conn.execute(sa.text("DROP TABLE victim"))
    assert victim_rows(pg_server) == 3


def test_gx_connection_is_read_only_too(pg_server, tmp_path):
    """GX opens its own SQLAlchemy engine: it gets the same read-only session arguments."""
    import sqlalchemy as sa

    from datavet.database import connect_args

    with sa.create_engine(pg_server.url(), connect_args=connect_args(pg_server.url())).connect() as conn:
        assert conn.execute(sa.text("SHOW default_transaction_read_only")).scalar() == "on"


PASSWORD_RAW = "Sup3r$ecret/P@ss%word"


def test_a_password_that_is_not_percent_encoded_is_never_printed(pg_server, tmp_path):
    url = f"postgresql://datavet:{PASSWORD_RAW}@127.0.0.1:{pg_server.port}/datavet"
    spec = sql_spec("SELECT * FROM people")
    write_project(tmp_path, spec)
    run = run_cli(tmp_path, "check", "datasheets/people/dataset.yaml", "--engine", "sql", env={URL_ENV: url})
    assert_refused(run, "not percent-encoded", "urllib.parse.quote", "postgresql://datavet:***@127.0.0.1",
                   secrets=(PASSWORD_RAW, "Sup3r", "ss%word", "P@ss", "ecret"))


@pytest.mark.parametrize("url", [f"postgresql://u:{PASSWORD_RAW}@db.example.org/x", "postgresql://u:pa#ss?w@h:5/x",
                                 "postgresql://u:p%40ss%2Fw@db.example.org/x", "postgresql://u:a:b:c@h/x",
                                 "postgresql://u@h/x", "postgresql://h/x"])
def test_masking_parses_the_url(url):
    from urllib.parse import unquote

    shown = masked(url)
    password = url.partition("://")[2].rpartition("@")[0].partition(":")[2]
    if password:
        assert password not in shown and unquote(password) not in shown and ":***@" in shown
    assert shown.endswith(url.rpartition("@")[2])


def test_an_encoded_password_connects(pg_server, tmp_path):
    """The fix the message gives works: the same server, its password percent-encoded."""
    from urllib.parse import quote

    import sqlalchemy as sa

    url = f"postgresql://datavet:{quote(PASSWORD, safe='')}@127.0.0.1:{pg_server.port}/datavet"
    with create_engine(url, "people").connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM people")).scalar() > 0


def test_spec_file_with_attack_names_the_key(tmp_path):
    """Without a database at all, the spec itself is refused with the key path."""
    from datavet.errors import SpecError
    from datavet.spec import load_spec

    path = write_project(tmp_path, sql_spec(ATTACK))
    with pytest.raises(SpecError) as exc:
        load_spec(path)
    assert "source.sql" in str(exc.value) and "one SELECT" in str(exc.value)
    assert Path(exc.value.path) == path


@pytest.mark.parametrize("password", ["pa#ss?word", "p:a@s/s", "50%off"])
def test_reserved_characters_in_a_password_never_leak(pg_server, tmp_path, password):
    url = f"postgresql://datavet:{password}@127.0.0.1:{pg_server.port}/datavet"
    write_project(tmp_path, sql_spec("SELECT * FROM people"))
    run = run_cli(tmp_path, "check", "datasheets/people/dataset.yaml", "--engine", "sql", env={URL_ENV: url})
    assert run.code == 2 and "Traceback" not in run.text, run.text[-2000:]
    assert password not in run.text and ":***@" in run.err, run.err


def test_a_table_name_cannot_carry_statements(pg_server, tmp_path):
    spec = sql_spec("x")
    spec["source"]["sql"] = {"url_env": URL_ENV, "table": "people; DROP TABLE victim; --"}
    write_project(tmp_path, spec)
    run = run_cli(tmp_path, "check", "datasheets/people/dataset.yaml", env={URL_ENV: pg_server.url()})
    assert_refused(run, "does not exist", secrets=(PASSWORD,))
    assert victim_rows(pg_server) == 3
