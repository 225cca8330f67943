"""Read and write a Parquet footer (Thrift compact protocol), to join row groups encoded apart.

A Parquet file is ``PAR1``, the column chunks of each row group in turn, the footer (a Thrift
``FileMetaData``), its length and ``PAR1``. Nothing inside a column chunk refers to where it lies in
the file: only the footer holds absolute offsets. So row groups encoded as separate one-row-group
files, on as many threads as there are cores, can be joined into the file one writer would have
written: their chunks one after another, and one footer listing every row group with its offsets
moved by where its chunks landed (:func:`join`).

The codec is generic (fields kept in the order read, with their Thrift types), so fields this
module does not know pass through unchanged; it knows only which fields are offsets. Encoding what
was decoded gives back the same bytes (the writer checks this on every footer it joins).
"""

from __future__ import annotations

from dataclasses import dataclass

from datavet.errors import DatavetError

MAGIC = b"PAR1"

# Thrift compact type codes
_TRUE, _FALSE, _BYTE, _I16, _I32, _I64, _DOUBLE, _BINARY, _LIST, _SET, _MAP, _STRUCT = range(1, 13)

# Field ids in parquet.thrift: FileMetaData, RowGroup, ColumnChunk and ColumnMetaData
FILE_NUM_ROWS, FILE_ROW_GROUPS = 3, 4
GROUP_COLUMNS, GROUP_FILE_OFFSET, GROUP_ORDINAL = 1, 5, 7
CHUNK_META = 3  # ColumnChunk's file_offset (2) is deprecated: pyarrow writes 0, kept as is
CHUNK_INDEX_OFFSETS = (4, 6)  # offset index and column index: written after every row group
META_PAGE_OFFSETS = (9, 10, 11)  # data, index and dictionary page offsets
META_BLOOM_OFFSET = 14  # bloom filters, like page indexes, live after every row group


class FooterError(DatavetError):
    """A Parquet footer this module cannot join (a writer setting it does not expect)."""


@dataclass
class Field:
    """One field of a Thrift struct: its id, its compact type and its value (a list of Fields for
    a struct, ``(element type, [values])`` for a list or set, ``(key type, value type, [(k, v)])``
    for a map)."""

    id: int
    type: int
    value: object


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = memoryview(data)
        self.pos = 0

    def byte(self) -> int:
        value = self.data[self.pos]
        self.pos += 1
        return value

    def varint(self) -> int:
        shift = result = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return result
            shift += 7

    def zigzag(self) -> int:
        n = self.varint()
        return (n >> 1) ^ -(n & 1)

    def value(self, typ: int) -> object:
        if typ in (_TRUE, _FALSE):  # a bool inside a list: one byte
            return self.byte() == _TRUE
        if typ == _BYTE:
            return self.byte()
        if typ in (_I16, _I32, _I64):
            return self.zigzag()
        if typ == _DOUBLE:
            value = bytes(self.data[self.pos:self.pos + 8])
            self.pos += 8
            return value
        if typ == _BINARY:
            size = self.varint()
            value = bytes(self.data[self.pos:self.pos + size])
            self.pos += size
            return value
        if typ in (_LIST, _SET):
            head = self.byte()
            size, elem = head >> 4, head & 0x0F
            if size == 15:
                size = self.varint()
            return elem, [self.value(elem) for _ in range(size)]
        if typ == _MAP:
            size = self.varint()
            if not size:
                return 0, 0, []
            kinds = self.byte()
            key, val = kinds >> 4, kinds & 0x0F
            return key, val, [(self.value(key), self.value(val)) for _ in range(size)]
        if typ == _STRUCT:
            return self.struct()
        raise FooterError(f"unknown Thrift type {typ} in a Parquet footer")

    def struct(self) -> list[Field]:
        fields: list[Field] = []
        last = 0
        while True:
            head = self.byte()
            typ = head & 0x0F
            if typ == 0:
                return fields
            delta = head >> 4
            fid = last + delta if delta else self.zigzag()
            if typ in (_TRUE, _FALSE):
                fields.append(Field(fid, typ, typ == _TRUE))
            else:
                fields.append(Field(fid, typ, self.value(typ)))
            last = fid


def _varint(out: bytearray, n: int) -> None:
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)


def _zigzag(out: bytearray, n: int) -> None:
    _varint(out, (n << 1) ^ (n >> 63))


def _value(out: bytearray, typ: int, value) -> None:
    if typ in (_TRUE, _FALSE):
        out.append(_TRUE if value else _FALSE)
    elif typ == _BYTE:
        out.append(value)
    elif typ in (_I16, _I32, _I64):
        _zigzag(out, value)
    elif typ == _DOUBLE:
        out += value
    elif typ == _BINARY:
        _varint(out, len(value))
        out += value
    elif typ in (_LIST, _SET):
        elem, items = value
        if len(items) < 15:
            out.append(len(items) << 4 | elem)
        else:
            out.append(0xF0 | elem)
            _varint(out, len(items))
        for item in items:
            _value(out, elem, item)
    elif typ == _MAP:
        key, val, items = value
        _varint(out, len(items))
        if items:
            out.append(key << 4 | val)
            for k, v in items:
                _value(out, key, k)
                _value(out, val, v)
    elif typ == _STRUCT:
        _struct(out, value)
    else:
        raise FooterError(f"unknown Thrift type {typ} in a Parquet footer")


def _struct(out: bytearray, fields: list[Field]) -> None:
    last = 0
    for field in fields:
        typ = (_TRUE if field.value else _FALSE) if field.type in (_TRUE, _FALSE) else field.type
        if 0 < field.id - last <= 15:
            out.append((field.id - last) << 4 | typ)
        else:
            out.append(typ)
            _zigzag(out, field.id)
        if typ not in (_TRUE, _FALSE):
            _value(out, typ, field.value)
        last = field.id
    out.append(0)


def decode(data: bytes) -> list[Field]:
    """The struct Thrift-encoded in ``data`` (all of it)."""
    reader = _Reader(data)
    fields = reader.struct()
    if reader.pos != len(data):
        raise FooterError("trailing bytes after a Parquet footer")
    return fields


def encode(fields: list[Field]) -> bytes:
    """``fields`` Thrift-encoded: the bytes :func:`decode` read them from."""
    out = bytearray()
    _struct(out, fields)
    return bytes(out)


def split(file: bytes) -> tuple[memoryview, bytes]:
    """The column chunks (everything between the leading magic and the footer) and the footer of a
    whole Parquet file held in memory."""
    view = memoryview(file)
    if bytes(view[:4]) != MAGIC or bytes(view[-4:]) != MAGIC:
        raise FooterError("not a Parquet file")
    size = int.from_bytes(view[-8:-4], "little")
    return view[4:len(view) - 8 - size], bytes(view[len(view) - 8 - size:-8])


def _get(fields: list[Field], fid: int) -> Field | None:
    return next((f for f in fields if f.id == fid), None)


def _shift(fields: list[Field], ids: tuple[int, ...], by: int) -> None:
    for field in fields:
        if field.id in ids:
            field.value += by


def _move(group: list[Field], by: int, ordinal: int) -> None:
    """Move a row group's offsets by ``by`` bytes and make it the ``ordinal``-th of its file."""
    _shift(group, (GROUP_FILE_OFFSET,), by)
    for field in group:
        if field.id == GROUP_ORDINAL:
            field.value = ordinal
    for chunk in _get(group, GROUP_COLUMNS).value[1]:
        if any(f.id in CHUNK_INDEX_OFFSETS for f in chunk):
            raise FooterError("page indexes are not joined (the writer turns them off)")
        meta = _get(chunk, CHUNK_META)
        if meta is not None:
            if _get(meta.value, META_BLOOM_OFFSET) is not None:
                raise FooterError("bloom filters are not joined (the writer turns them off)")
            _shift(meta.value, META_PAGE_OFFSETS, by)


class Joiner:
    """Joins one-row-group Parquet files, in order, into one file written through ``write``."""

    def __init__(self, write) -> None:
        self._write = write
        self._write(MAGIC)
        self._position = len(MAGIC)
        self._groups: list = []
        self._rows = 0
        self._skeleton: list[Field] | None = None

    def add(self, file: bytes) -> None:
        """Append the row group of ``file``, a whole Parquet file of one row group (or of none,
        which adds nothing: the file of no rows is joined from that alone)."""
        chunks, footer = split(file)
        meta = decode(footer)
        if encode(meta) != footer:  # the codec must give back what it read, or nothing is joined
            raise FooterError("a Parquet footer did not encode back to its own bytes")
        groups = _get(meta, FILE_ROW_GROUPS)
        if groups is None or len(groups.value[1]) > 1:
            raise FooterError("each file joined must hold one row group at most")
        self._skeleton = self._skeleton or meta
        for group in groups.value[1]:
            _move(group, self._position - len(MAGIC), len(self._groups))
            self._groups.append(group)
            self._rows += _get(meta, FILE_NUM_ROWS).value
            self._write(chunks)
            self._position += len(chunks)

    def finish(self) -> None:
        """Write the footer listing every row group added, its length and the magic."""
        if self._skeleton is None:
            raise FooterError("no row group to join")
        for field in self._skeleton:
            if field.id == FILE_NUM_ROWS:
                field.value = self._rows
            elif field.id == FILE_ROW_GROUPS:
                field.value = (field.value[0], self._groups)
        footer = encode(self._skeleton)
        self._write(footer + len(footer).to_bytes(4, "little") + MAGIC)


__all__ = ["FooterError", "Joiner", "decode", "encode", "split"]
