"""A CSV file as a version: DuckDB parses it in parallel and the rows stream into one Parquet file.

The reader keeps the meaning pandas gave the file before (the spec's ``source.options`` use
``pandas.read_csv`` names): values are kept as published, so missing tokens such as ``?`` stay in the
data and every check treats them as missing; only empty cells are null (no default NA list: ``NA``
is Namibia); a column is int64 when every value is an integer and none is missing, float64 when every
value is a number, text otherwise. The dialect is never guessed: separator, quote, escape, comment and
header are what the options say (pandas' defaults otherwise), and a ragged row is an error.
"""

from __future__ import annotations

import codecs
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from datavet.errors import DataError
from datavet.sources.base import TABLE_FILE, Materialised
from datavet.sources.table import (
    check_columns_exist,
    connect,
    environment_error,
    literal,
    quote,
    read_errors,
    require_file,
    write_version,
)

if TYPE_CHECKING:  # pragma: no cover
    import duckdb

    from datavet.settings import Settings
    from datavet.spec import LoadedSpec

OPTIONS = ("sep", "delimiter", "header", "names", "encoding", "skipinitialspace", "quotechar", "escapechar",
           "comment", "skiprows")
TYPE_CANDIDATES = ["BIGINT", "DOUBLE", "VARCHAR"]  # what pandas infers (booleans stay text)
ROW_FIX = "repair the ragged rows or set source.options (sep, quotechar) to match the file"
TRANSCODE_CHUNK = 1 << 20


class CsvSource:
    kind: ClassVar[str] = "csv"

    def __init__(self, loaded: LoadedSpec, settings: Settings) -> None:
        self.loaded = loaded
        self.settings = settings
        self.path = loaded.source_path
        self.dataset = loaded.spec.name
        self.options = _parse_options(loaded.spec.source.options, self.dataset)
        self.max_line_size: int | None = None  # DuckDB's default (2 MB) until a longer record is met
        self.new_line: str | None = None  # DuckDB's sniffer decides, unless it cannot

    # ---- the protocol ---------------------------------------------------------------------------
    def columns(self) -> list[str]:
        if self.loaded.spec.source.partitioned:  # a glob: one part per file (datavet.sources.csv_glob)
            from datavet.sources.csv_glob import glob_columns

            return glob_columns(self.loaded, self.settings)
        return self._long_lines(self._columns)

    def materialise(self, staging: Path) -> Materialised:
        if self.loaded.spec.source.partitioned:
            from datavet.registry import Registry
            from datavet.sources.csv_glob import materialise_glob

            return materialise_glob(self.loaded, self.settings, staging, Registry.of(self.settings).cache_dir)
        return self._long_lines(lambda: self._materialise(staging))

    def _long_lines(self, read: Callable[[], T]) -> T:
        """``read()``, again with what DuckDB could not find out alone: a larger line limit when a
        record is longer than its default (a 50 MB cell is valid CSV: pandas reads it), the line
        terminator when a quoted header cell holds another one (``"a\r\nb"`` in a ``\n`` file)."""
        while True:
            try:
                return read()
            except _ReadAgain as again:
                self.max_line_size = again.max_line_size or self.max_line_size
                self.new_line = again.new_line or self.new_line

    def _columns(self) -> list[str]:
        require_file(self.path, self.dataset)
        with tempfile.TemporaryDirectory(prefix="datavet-csv-") as tmp, self._utf8(Path(tmp)) as text:
            con = connect(self.settings, Path(tmp))
            try:
                return self._names(con, text)
            finally:
                con.close()

    def _materialise(self, staging: Path) -> Materialised:
        require_file(self.path, self.dataset)
        staging.mkdir(parents=True, exist_ok=True)
        with self._utf8(staging) as text:
            con = connect(self.settings, staging)
            try:
                names = self._names(con, text)
                check_columns_exist(self.loaded, names)
                try:
                    return write_version(con, self._select(con, text, names, full_sample=False),
                                         staging / TABLE_FILE, empty_text_as_float=True)
                except read_errors() as exc:
                    if not _is_conversion(exc):
                        raise
                    # a value past the sample does not fit the sniffed type: type on every row instead
                    return write_version(con, self._select(con, text, names, full_sample=True),
                                         staging / TABLE_FILE, empty_text_as_float=True)
            except read_errors() as exc:
                raise self._error(exc) from None
            finally:
                con.close()

    # ---- reading --------------------------------------------------------------------------------
    def _scan(self, text: Path, **extra: Any) -> str:
        """``read_csv`` with the dialect fixed (DuckDB's sniffer would otherwise guess it)."""
        o = self.options
        args = {"delim": o["sep"], "quote": o["quote"], "escape": o["escape"], "comment": o["comment"],
                "skip": o["skip"], "strict_mode": True, "null_padding": False, "encoding": "utf-8", **extra}
        if self.max_line_size is not None:  # DuckDB's buffer would be 16 records long by default
            args |= {"max_line_size": self.max_line_size, "buffer_size": self.max_line_size}
        if self.new_line is not None:
            args["new_line"] = self.new_line
        return f"read_csv({literal(str(text))}, {', '.join(f'{k} = {_sql(v)}' for k, v in args.items())})"

    def _names(self, con: duckdb.DuckDBPyConnection, text: Path) -> list[str]:
        """The column names: ``names``, or the header row as pandas names it (``Unnamed: i`` for an
        empty cell, spaces after the separator dropped with ``skipinitialspace``)."""
        try:
            first = con.sql(f"SELECT * FROM {self._scan(text, header=False, all_varchar=True)} LIMIT 1").fetchone()
        except read_errors() as exc:
            raise self._error(exc) from None
        if not first or (first == (None,) and _blank(text)):
            raise DataError(f"{self.path} is empty: no header and no rows", dataset=self.dataset,
                            fix="check source.path points at the published file (was it truncated?)")
        names = self.options["names"]
        if names is not None:
            if len(names) != len(first):
                raise DataError(f"source.options.names gives {len(names)} names but the rows have {len(first)} "
                                "fields", dataset=self.dataset, fix="give one name per column in source.options.names")
            return _unique([str(n) for n in names], self.dataset)
        if not self.options["header"]:
            return [str(i) for i in range(len(first))]
        strip = self.options["skipinitialspace"]
        header = [(v.lstrip(" ") if strip and v else v) or f"Unnamed: {i}" for i, v in enumerate(first)]
        return _unique(header, self.dataset)

    def _select(self, con: duckdb.DuckDBPyConnection, text: Path, names: list[str], *, full_sample: bool) -> str:
        """The rows with their types fixed (sniffed on a sample, or on every row)."""
        sniff = self._scan(text, header=self.options["header"], names=names, auto_type_candidates=TYPE_CANDIDATES,
                           **({"sample_size": -1} if full_sample else {}))
        types = {name: typ for name, typ, *_ in con.sql(f"DESCRIBE SELECT * FROM {sniff}").fetchall()}
        scan = self._scan(text, header=self.options["header"], names=names, types=types)
        cells = []
        for name in names:
            cell = quote(name)
            if types[name] == "VARCHAR" and self.options["skipinitialspace"]:
                cell = f"NULLIF(ltrim({cell}, ' '), '')"
            cells.append(f"{cell} AS {quote(name)}")
        return f"SELECT {', '.join(cells)} FROM {scan}"

    @contextmanager
    def _utf8(self, scratch: Path) -> Iterator[Path]:
        """The source as UTF-8 text: the file itself, or a copy decoded from ``encoding`` into scratch."""
        encoding = self.options["encoding"]
        if encoding == "utf-8":
            self._check_decodes(encoding)
            yield self.path
            return
        scratch.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=scratch, prefix=".source-", suffix=".csv") as out:
            decoder = codecs.getincrementaldecoder(encoding)()
            offset = 0
            with open(self.path, "rb") as fh:
                while True:
                    block = fh.read(TRANSCODE_CHUNK)
                    try:
                        out.write(decoder.decode(block, final=not block).encode("utf-8"))
                    except UnicodeDecodeError as exc:
                        raise self._decode_error(exc, offset) from None
                    if not block:
                        break
                    offset += len(block)
            out.flush()
            yield Path(out.name)

    def _check_decodes(self, encoding: str) -> None:
        """The start of the file decodes (a UTF-16 or Latin-1 file fails here, with the byte offset);
        DuckDB checks every later byte as it parses."""
        with open(self.path, "rb") as fh:
            block = fh.read(TRANSCODE_CHUNK)
        try:
            codecs.getincrementaldecoder(encoding)().decode(block, final=False)
        except UnicodeDecodeError as exc:
            raise self._decode_error(exc, 0) from None

    def _decode_error(self, exc: UnicodeDecodeError, offset: int) -> DataError:
        return DataError(f"{self.path} is not {self.options['encoding']} text ({exc.reason} at byte "
                         f"{offset + exc.start})", dataset=self.dataset,
                         fix="set source.options.encoding (e.g. latin-1) to the file's encoding")

    def _error(self, exc: Exception) -> Exception:
        """A DuckDB error as the user's problem: the file (never a line of its data) and the fix."""
        text = str(exc)
        if environment := environment_error(exc, self.path):
            return environment
        longer = _LINE_SIZE.search(text)
        if longer and (self.max_line_size or 0) < MAX_LINE_SIZE:
            needed = min(MAX_LINE_SIZE, max(2 * int(longer.group(1)), 4 * (self.max_line_size or 0)))
            return _ReadAgain(max_line_size=needed)
        if "sniffing file" in text and self.new_line is None and (found := _terminator(self.path, self.options)):
            return _ReadAgain(new_line=found)
        if "Invalid unicode" in text:
            return DataError(f"{self.path} is not {self.options['encoding']} text (an invalid byte sequence; "
                             f"{_where(text)})",
                             dataset=self.dataset,
                             fix="set source.options.encoding (e.g. latin-1) to the file's encoding")
        if "CSV Error" in text or "sniffing file" in text or "Expected Number of Columns" in text:
            return DataError(f"{self.path} is not a well-formed CSV: {_where(text)}", dataset=self.dataset,
                             fix=ROW_FIX)
        return DataError(f"cannot read {self.path} as csv: {text.splitlines()[0]}", dataset=self.dataset,
                         fix="check source.format and source.options")


# The longest record datavet asks DuckDB to take (it buffers a few records of this size).
MAX_LINE_SIZE = 1 << 30
_LINE_SIZE = re.compile(r"Maximum line size of \d+ bytes exceeded\. Actual Size:\s*(\d+)")
T = TypeVar("T")


class _ReadAgain(Exception):
    """Read the file again with DuckDB told what its sniffer could not find out."""

    def __init__(self, *, max_line_size: int | None = None, new_line: str | None = None) -> None:
        super().__init__(f"read again with max_line_size={max_line_size} new_line={new_line!r}")
        self.max_line_size = max_line_size
        self.new_line = new_line


def _terminator(path: Path, options: dict[str, Any]) -> str | None:
    """The first line break outside quotes at the start of the file, as DuckDB's ``new_line`` spells
    it (``\\n``, ``\\r\\n`` or ``\\r``); None if the first MB holds none."""
    with open(path, "rb") as fh:
        head = fh.read(TRANSCODE_CHUNK)
    quote = options["quote"].encode("utf-8") if options["quote"] else b""
    inside = False
    for i in range(len(head)):
        char = head[i:i + 1]
        if quote and char == quote:
            inside = not inside
        elif not inside and char == b"\r":
            return "\\r\\n" if head[i + 1:i + 2] == b"\n" else "\\r"
        elif not inside and char == b"\n":
            return "\\n"
    return None


def _parse_options(options: dict[str, Any], dataset: str) -> dict[str, Any]:
    """pandas.read_csv option names -> the dialect DuckDB is given; anything else is refused."""
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise DataError(f"source.options {unknown} are not CSV reader options datavet knows", dataset=dataset,
                        fix=f"use only {', '.join(OPTIONS)} (missing values: the spec's missing_tokens)")
    sep = options.get("sep", options.get("delimiter", ","))
    if not isinstance(sep, str) or not sep or len(sep.encode("utf-8")) > 4 or sep == r"\s+":
        raise DataError(f"source.options.sep {sep!r} is not a separator datavet can read", dataset=dataset,
                        fix="give the literal separator (one to four characters), not a regular expression")
    names = options.get("names")
    header = options.get("header", None if names is not None else "infer")
    if header == "infer":
        header = 0
    skiprows = options.get("skiprows", 0)
    if header is not None and not isinstance(header, int) or not isinstance(skiprows, int) or skiprows < 0:
        raise DataError(f"source.options header {header!r} / skiprows {skiprows!r} are not supported",
                        dataset=dataset, fix="use header: 0 (or a row number, or null) and an integer skiprows")
    quotechar = options.get("quotechar", '"')
    try:
        encoding = codecs.lookup(options.get("encoding") or "utf-8").name
    except LookupError:
        raise DataError(f"unknown encoding {options.get('encoding')!r}", dataset=dataset,
                        fix="set source.options.encoding to a Python codec name (utf-8, latin-1, cp1252)"
                        ) from None
    return {"sep": sep, "quote": quotechar, "escape": options.get("escapechar") or quotechar,
            "comment": options.get("comment") or "", "header": header is not None,
            "skip": skiprows + (header or 0), "names": names, "encoding": encoding,
            "skipinitialspace": bool(options.get("skipinitialspace", False))}


def _unique(names: list[str], dataset: str) -> list[str]:
    """pandas would silently rename a repeated ``x`` to ``x.1``; published CSVs do repeat names."""
    seen: dict[str, str] = {}
    for name in names:
        first = seen.get(name.casefold())  # DuckDB binds names case-insensitively: Sex and sex clash
        if first is not None:
            spelled = "" if first == name else f" (as {first!r} and {name!r}: names are read regardless of case)"
            raise DataError(f"the header repeats the column name {name!r}{spelled}", dataset=dataset, column=name,
                            fix="give unique names with source.options.names (and header: 0)")
        seen[name.casefold()] = name
    return names


def _sql(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_sql(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{literal(k)}: {_sql(v)}" for k, v in value.items()) + "}"
    return literal(str(value))


def _where(text: str) -> str:
    """The parts of a DuckDB CSV error that locate the problem, without the offending line's data."""
    keep = []
    for line in text.splitlines():
        for phrase in ("CSV Error on Line", "Expected Number of Columns", "Value with unterminated quote",
                       "It was not possible"):
            if phrase in line:
                keep.append(line[line.index(phrase):].strip())
    return "; ".join(keep) or text.splitlines()[0]


def _blank(path: Path) -> bool:
    """Whether the file holds only line breaks and spaces (pandas: "no columns to parse")."""
    with open(path, "rb") as fh:
        while block := fh.read(TRANSCODE_CHUNK):
            if block.strip():
                return False
    return True


def _is_conversion(exc: Exception) -> bool:
    import duckdb

    return isinstance(exc, duckdb.ConversionException) or "Could not convert" in str(exc)
