"""A real PostgreSQL 15 server for tests: Debian's binaries, a temporary data directory, 127.0.0.1.

The server is started the way an operator would (initdb, pg_ctl), with password (scram-sha-256)
authentication, so tests exercise the same driver paths as a real deployment. ``PASSWORD`` is a
known string that tests grep for in every output a run writes.
"""

from __future__ import annotations

import csv
import io
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

PG_BIN = Path("/usr/lib/postgresql/15/bin")
USER = "datavet"
PASSWORD = "pw-Xq7-never-print-me"  # noqa: S105 - a test server's password, grepped for in outputs
DATABASE = "datavet"


def missing_requirement() -> str | None:
    """Why the server cannot start on this machine (naming the Debian package), or None."""
    if not (PG_BIN / "initdb").is_file() or not (PG_BIN / "pg_ctl").is_file():
        return (f"PostgreSQL 15 server binaries not found in {PG_BIN}: install Debian's package "
                "`postgresql` (apt-get install -y postgresql; scripts/test.sh does this as root)")
    try:
        import psycopg2  # noqa: F401
    except ImportError:
        return "the PostgreSQL driver is not installed: pip install 'datavet[postgres]' (psycopg2-binary)"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """A running server; ``url(...)`` builds SQLAlchemy URLs for it."""

    datadir: Path
    port: int
    run_as: str | None

    def url(self, *, password: str = PASSWORD, database: str = DATABASE, port: int | None = None) -> str:
        return f"postgresql://{USER}:{password}@127.0.0.1:{port or self.port}/{database}"

    def _cmd(self, *args: str) -> list[str]:
        return ["runuser", "-u", self.run_as, "--", *args] if self.run_as else list(args)

    def start(self) -> None:
        os.chmod(self.datadir, 0o700)
        pwfile = self.datadir.parent / "pwfile"
        pwfile.write_text(PASSWORD + "\n")
        self._own(self.datadir.parent)
        subprocess.run(self._cmd(str(PG_BIN / "initdb"), "-D", str(self.datadir), "-U", USER, "--auth=scram-sha-256",
                                 f"--pwfile={pwfile}", "-E", "UTF8", "--locale=C.UTF-8"),
                       check=True, capture_output=True, text=True)
        pwfile.unlink()
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.datadir} -c fsync=off"
        subprocess.run(self._cmd(str(PG_BIN / "pg_ctl"), "-D", str(self.datadir), "-l", str(self.datadir / "log"),
                                 "-o", options, "-w", "-t", "60", "start"),
                       check=True, capture_output=True, text=True)
        import psycopg2

        conn = psycopg2.connect(self.dsn("postgres"))
        conn.autocommit = True
        conn.cursor().execute(f"CREATE DATABASE {DATABASE}")
        conn.close()

    def stop(self) -> None:
        subprocess.run(self._cmd(str(PG_BIN / "pg_ctl"), "-D", str(self.datadir), "-m", "immediate", "stop"),
                       capture_output=True, text=True)
        shutil.rmtree(self.datadir.parent, ignore_errors=True)

    def dsn(self, database: str = DATABASE) -> str:
        return f"host=127.0.0.1 port={self.port} user={USER} password={PASSWORD} dbname={database}"

    def _own(self, folder: Path) -> None:
        if self.run_as:
            entry = pwd.getpwnam(self.run_as)
            for path in (folder, *folder.rglob("*")):
                os.chown(path, entry.pw_uid, entry.pw_gid)

    def load(self, table: str, df: pd.DataFrame) -> None:
        """Create ``table`` with the frame's types and COPY the rows in (nulls stay NULL, text stays text)."""
        import psycopg2

        columns = ", ".join(f'"{c}" {_pg_type(df[c].dtype)}' for c in df.columns)
        buffer = io.StringIO()
        df.to_csv(buffer, index=False, header=False, quoting=csv.QUOTE_MINIMAL, na_rep=r"\N")
        buffer.seek(0)
        with psycopg2.connect(self.dsn()) as conn, conn.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS {table}")
            cur.execute(f"CREATE TABLE {table} ({columns})")
            cur.copy_expert(f"COPY {table} FROM STDIN WITH (FORMAT csv, NULL '\\N')", buffer)
        conn.close()

    def execute(self, statement: str) -> None:
        import psycopg2

        with psycopg2.connect(self.dsn()) as conn, conn.cursor() as cur:
            cur.execute(statement)
        conn.close()


def _pg_type(dtype) -> str:
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "bigint"
    if pd.api.types.is_float_dtype(dtype):
        return "double precision"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "timestamp"
    return "text"


def start_server() -> Server:
    """initdb + pg_ctl start in a fresh temporary folder (as the ``postgres`` user when run as root:
    the server refuses to run as root)."""
    run_as = "postgres" if os.geteuid() == 0 else None
    root = Path(tempfile.mkdtemp(prefix="datavet-pg-"))
    os.chmod(root, 0o755)
    server = Server(datadir=root / "data", port=free_port(), run_as=run_as)
    server.datadir.mkdir()
    try:
        server.start()
    except Exception as exc:
        log = server.datadir / "log"
        detail = log.read_text()[-2000:] if log.exists() else ""
        server.stop()
        raise RuntimeError(f"PostgreSQL did not start: {getattr(exc, 'stderr', exc)}\n{detail}") from None
    return server
