"""Database access shared by the SQL source and the SQL engine: where the URL comes from, how it is
shown, and what a driver error means to the person who has to fix it.

The URL holds a password, so it never leaves this module in clear: messages show it with the
password masked, and every driver message is scrubbed of the password before it becomes a
``DataError`` (SQLAlchemy's own exception texts carry the SQL and sometimes connection details).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, quote_plus, unquote

from datavet.errors import DataError

if TYPE_CHECKING:  # pragma: no cover
    import sqlalchemy as sa

    from datavet.spec import LoadedSpec

_SCHEMES = {"postgres": "postgresql", "postgresql": "postgresql", "mysql": "mysql", "sqlite": "sqlite",
            "mssql": "mssql", "oracle": "oracle"}
CONNECT_TIMEOUT = 10  # seconds: an unreachable server fails fast instead of hanging a task


def source_url(loaded: LoadedSpec) -> str:
    """The SQLAlchemy URL of ``source.sql``: from the environment variable it names, or from the
    Airflow connection it names (Airflow's secrets backends, environment ``AIRFLOW_CONN_*`` included)."""
    sql = loaded.spec.source.sql
    name = loaded.spec.name
    assert sql is not None
    if sql.url_env is not None:
        url = os.environ.get(sql.url_env)
        if not url:
            raise DataError(f"the environment variable {sql.url_env} (source.sql.url_env) is not set", dataset=name,
                            fix=f"export {sql.url_env}=postgresql://USER:PASSWORD@HOST:PORT/DATABASE")
        return url
    return _airflow_url(sql.conn_id or "", name)


def _airflow_url(conn_id: str, dataset: str) -> str:
    try:
        from airflow.sdk import BaseHook
    except ImportError:
        raise DataError(f"source.sql.conn_id {conn_id!r} names an Airflow connection, but Airflow is not installed",
                        dataset=dataset, fix="pip install 'datavet[airflow]', or use source.sql.url_env") from None
    try:
        conn = BaseHook.get_connection(conn_id)
    except Exception as exc:
        raise DataError(f"the Airflow connection {conn_id!r} (source.sql.conn_id) is not defined "
                        f"({type(exc).__name__})", dataset=dataset,
                        fix=f"airflow connections add {conn_id} --conn-uri postgresql://USER:PASSWORD@HOST:PORT/DB "
                            f"(or export AIRFLOW_CONN_{conn_id.upper()})") from None
    scheme = _SCHEMES.get(str(conn.conn_type or "").lower())
    if scheme is None:
        raise DataError(f"the Airflow connection {conn_id!r} has type {conn.conn_type!r}, not a database",
                        dataset=dataset, fix="use a postgres connection (or another SQLAlchemy dialect)")
    auth = ""
    if conn.login:
        auth = quote(conn.login, safe="") + (f":{quote(conn.password, safe='')}" if conn.password else "") + "@"
    port = f":{conn.port}" if conn.port else ""
    return f"{scheme}://{auth}{conn.host or ''}{port}/{conn.schema or ''}"


def _split(url: str) -> tuple[str, str | None, str | None, str]:
    """``(scheme, user, password, rest)`` of a URL as a person may have typed it: the credentials
    end at the *last* ``@`` of the authority, so a password that holds ``/``, ``@`` or ``%`` without
    percent-encoding is still found whole (a URL parser stops at the first ``/``)."""
    scheme, sep, tail = url.partition("://")
    if not sep:
        return url, None, None, ""
    at = tail.rfind("@")
    if at < 0:
        return scheme, None, None, tail
    user, colon, password = tail[:at].partition(":")
    return scheme, user, (password if colon else None), tail[at + 1:]


def masked(url: str) -> str:
    """The URL as messages show it: the password, however it is written, replaced by ***."""
    scheme, user, password, rest = _split(url)
    if user is None:
        return url if "://" in url else "<an unparseable database URL>"
    return f"{scheme}://{user}{':***' if password is not None else ''}@{rest}"


def _password(url: str) -> str | None:
    return _split(url)[2]


def scrub(text: str, url: str) -> str:
    """``text`` with the URL's password (raw, decoded or URL-quoted) and the URL itself masked."""
    password = _password(url)
    text = text.replace(url, masked(url))
    if password:
        for form in sorted({password, unquote(password), quote(password, safe=""), quote_plus(password)},
                           key=len, reverse=True):
            if form:
                text = text.replace(form, "***")
    return text


def backend_of(url: str, dataset: str) -> str:
    """The dialect name of ``url`` (postgresql, mysql, ...)."""
    return _parsed(url, dataset).get_backend_name()


def _parsed(url: str, dataset: str) -> sa.URL:
    """The SQLAlchemy URL, refused when its password is not percent-encoded (SQLAlchemy would read part
    of the password as the host, and a driver message would then print that part)."""
    import sqlalchemy as sa

    try:
        parsed = sa.engine.make_url(url)
    except Exception:
        raise DataError(f"the database URL {masked(url)} is not a SQLAlchemy URL", dataset=dataset,
                        fix="give dialect://USER:PASSWORD@HOST:PORT/DATABASE (e.g. postgresql://...)") from None
    password = _password(url)
    if password is not None and unquote(password) != parsed.password:
        raise DataError(f"the password in the database URL {masked(url)} is not percent-encoded: it holds "
                        "characters a URL reserves (/ @ : % ? #)", dataset=dataset,
                        fix="percent-encode the password, e.g. python3 -c 'import sys, urllib.parse; "
                            "print(urllib.parse.quote(sys.argv[1], safe=\"\"))' 'PASSWORD' (a / becomes %2F, "
                            "@ %40, % %25)")
    return parsed


# PostgreSQL: every session datavet opens is read-only (libpq's options; the later -c wins).
_PG_READ_ONLY = "-c default_transaction_read_only=on"


def connect_args(url: str) -> dict[str, Any]:
    """Driver arguments for every connection datavet opens to ``url``: a short connect timeout and a
    read-only session (a query can then change nothing, whatever it says)."""
    import sqlalchemy as sa

    try:
        parsed = sa.engine.make_url(url)
    except Exception:
        return {}
    if parsed.get_backend_name() != "postgresql":
        return {}
    options = parsed.query.get("options")
    options = " ".join([*(options if isinstance(options, tuple) else [options] if options else []), _PG_READ_ONLY])
    return {"connect_timeout": CONNECT_TIMEOUT, "options": options}


def create_engine(url: str, dataset: str) -> sa.Engine:
    """A SQLAlchemy engine for ``url`` (short connect timeout, read-only sessions); a bad URL or a
    missing driver is a DataError."""
    import sqlalchemy as sa

    parsed = _parsed(url, dataset)
    try:
        engine = sa.create_engine(parsed, connect_args=connect_args(url), pool_pre_ping=True)
    except Exception as exc:  # NoSuchModuleError (unknown dialect), ImportError (driver not installed)
        raise DataError(f"cannot use the database URL {masked(url)}: {scrub(str(exc), url)}", dataset=dataset,
                        fix="install the dialect's driver (PostgreSQL: pip install 'datavet[postgres]')") from None
    if parsed.get_backend_name() == "mysql":
        sa.event.listen(engine, "connect", _mysql_read_only)
    return engine


def _mysql_read_only(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("SET SESSION TRANSACTION READ ONLY")
    cursor.close()


@contextmanager
def driver_errors(url: str, dataset: str, what: str) -> Iterator[None]:
    """Turn a driver error inside the block into a DataError saying what went wrong and how to fix it,
    also one raised while the rows streamed into a version's writer (which hands the stream's error
    on as a ``ReadError``, its cause the driver's)."""
    import sqlalchemy as sa

    from datavet.sources.parts import ReadError

    try:
        yield
    except (sa.exc.SQLAlchemyError, ReadError) as exc:
        cause = exc.__cause__ if isinstance(exc, ReadError) else exc
        if isinstance(cause, sa.exc.DBAPIError):
            raise _explain(cause, url, dataset, what) from None
        if isinstance(cause, sa.exc.SQLAlchemyError):
            raise DataError(f"{what}: {scrub(str(cause).splitlines()[0], url)}", dataset=dataset,
                            fix="check source.sql (table or query) against the database") from None
        raise


def _explain(exc: Any, url: str, dataset: str, what: str) -> DataError:
    import sqlalchemy as sa

    orig = getattr(exc, "orig", None)
    code = getattr(orig, "pgcode", None) or getattr(orig, "sqlstate", None)
    detail = scrub(str(orig or exc).strip().splitlines()[0] if str(orig or exc).strip() else type(exc).__name__, url)
    where = masked(url)
    if code is None and "authentication failed" in detail:  # libpq reports login failures without a SQLSTATE
        code = "28P01"
    if code is None and "database" in detail and "does not exist" in detail:
        code = "3D000"
    if code in ("28P01", "28000"):
        return DataError(f"{what}: the database refused the credentials ({detail})", dataset=dataset,
                         fix="correct the user and password of the URL in source.sql.url_env's variable "
                             "or the Airflow connection source.sql.conn_id")
    if code == "3D000":
        return DataError(f"{what}: {detail}", dataset=dataset, fix=f"create the database or correct the URL {where}")
    if code in ("42P01", "3F000"):
        return DataError(f"{what}: {detail}", dataset=dataset,
                         fix="check source.sql.table (schema-qualified, e.g. public.adult) exists and is readable")
    if code is None and isinstance(exc, (sa.exc.OperationalError, sa.exc.InterfaceError)):
        return DataError(f"{what}: cannot reach the database server at {where} ({detail})", dataset=dataset,
                         fix="check the host and port of the URL and that the server is running and reachable")
    return DataError(f"{what}: the database rejected the statement ({detail})", dataset=dataset,
                     fix="run the table or query of source.sql in a database client and correct it")

