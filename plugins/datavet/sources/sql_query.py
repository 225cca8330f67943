"""What a ``source.sql.query`` may be: one read-only SELECT (or WITH ... SELECT, or a UNION of them).

datavet wraps the query as a subquery (``SELECT ... FROM (<query>) AS datavet_query``) and GX runs it
too, so a query that closes the parenthesis and adds statements would run them with the
credentials of the URL. The query is parsed (sqlglot) and refused unless it is exactly one SELECT
with nothing in it that writes or has effects outside the query: no DML/DDL anywhere (a
data-modifying WITH included), no SELECT INTO, no locking clause, and none of the functions below.
Connections are read-only as well (``datavet.database``): the parse says why a query is refused,
the read-only session stops what a parse could miss.
"""

from __future__ import annotations

import logging
from typing import Any

# PostgreSQL functions with effects beyond reading (files, large objects, sessions, other
# connections, configuration, sequences, locks, notifications, running SQL given as text).
SIDE_EFFECT_FUNCTIONS = frozenset({
    "lo_import", "lo_export", "lo_unlink", "lo_create", "lo_creat", "lo_put", "lo_from_bytea", "lo_truncate",
    "pg_read_file", "pg_read_binary_file", "pg_ls_dir", "pg_stat_file", "pg_ls_logdir", "pg_ls_waldir",
    "pg_ls_tmpdir", "pg_ls_archive_statusdir", "pg_file_write", "pg_file_rename", "pg_file_unlink",
    "dblink", "dblink_exec", "dblink_connect", "dblink_connect_u", "dblink_send_query", "dblink_open",
    "pg_terminate_backend", "pg_cancel_backend", "pg_reload_conf", "pg_rotate_logfile", "pg_promote",
    "pg_switch_wal", "pg_create_restore_point", "pg_start_backup", "pg_stop_backup", "pg_backup_start",
    "pg_backup_stop", "pg_create_logical_replication_slot", "pg_create_physical_replication_slot",
    "pg_drop_replication_slot", "pg_logical_emit_message", "pg_notify", "set_config",
    "nextval", "setval", "pg_advisory_lock", "pg_advisory_xact_lock", "pg_advisory_lock_shared",
    "pg_advisory_xact_lock_shared", "pg_try_advisory_lock", "pg_try_advisory_xact_lock",
    "pg_try_advisory_lock_shared", "pg_try_advisory_xact_lock_shared", "pg_advisory_unlock",
    "pg_advisory_unlock_all", "pg_advisory_unlock_shared", "query_to_xml", "query_to_xmlschema",
    "query_to_xml_and_xmlschema", "cursor_to_xml", "cursor_to_xmlschema", "txid_current",
    "pg_current_xact_id", "load_file", "sys_exec", "sys_eval",
})
# Expression types that write, change the schema or the session, or stand for SQL sqlglot could
# not parse (a Command is passed through as text): refused wherever they appear in the tree.
_FORBIDDEN = ("Insert", "Update", "Delete", "Merge", "Create", "Drop", "Alter", "AlterTable", "Command",
              "TruncateTable", "Copy", "Into", "Lock", "Set", "Transaction", "Commit", "Rollback", "Grant",
              "Revoke", "Use", "LoadData", "Pragma", "Analyze", "Refresh", "Cache", "Uncache", "Comment",
              "Kill", "Declare", "Execute")
DIALECTS = {"postgresql": "postgres", "mysql": "mysql", "sqlite": "sqlite", "mssql": "tsql", "oracle": "oracle"}
FIX = ("give one SELECT (or WITH ... SELECT) that only reads, without a trailing statement, "
       "INTO, FOR UPDATE/SHARE or functions with side effects; or name the table in source.sql.table")


def query_problem(query: str, backend: str | None = "postgresql") -> str | None:
    """Why ``query`` is not one read-only SELECT in the backend's dialect, or None when it is."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    dialect = DIALECTS.get(backend or "")
    sqlglot_log = logging.getLogger("sqlglot")
    level = sqlglot_log.level
    sqlglot_log.setLevel(logging.ERROR)  # its "falling back to a Command" warning: the refusal says it
    try:
        trees = [t for t in sqlglot.parse(query, read=dialect) if t is not None]
    except SqlglotError as exc:
        return f"it is not a SQL statement datavet can parse ({str(exc).splitlines()[0][:120]})"
    except RecursionError:
        return "it nests too deeply to parse"
    finally:
        sqlglot_log.setLevel(level)
    if len(trees) != 1:
        return f"it holds {len(trees)} statements; only one SELECT is allowed" if trees else "it is empty"
    tree = trees[0]
    queries = tuple(getattr(exp, n) for n in ("Select", "SetOperation", "Union", "Subquery") if hasattr(exp, n))
    if not isinstance(tree, queries):
        return f"it is not a SELECT (it reads as {_kind(tree)})"
    forbidden = tuple(getattr(exp, n) for n in _FORBIDDEN if hasattr(exp, n))
    for node in tree.walk():
        if isinstance(node, forbidden):
            return f"it contains {_kind(node)}, which a read-only query never needs"
        name = _function_name(node, exp)
        if name in SIDE_EFFECT_FUNCTIONS:
            return f"it calls {name}(), a function with effects beyond reading"
    return None


def _function_name(node: Any, exp: Any) -> str | None:
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    if isinstance(node, exp.Func):
        return node.sql_name().lower()
    return None


def _kind(node: Any) -> str:
    names = {"Into": "SELECT INTO", "Lock": "a locking clause (FOR UPDATE/SHARE)", "Command": "an unparsed command"}
    kind = type(node).__name__
    return names.get(kind, kind.upper())
