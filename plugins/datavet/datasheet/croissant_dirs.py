"""Croissant for a version that is a DVC directory output: a tree of files (one per split for a splits
version of trees) or a partitioned table (a folder of Parquet parts).

The folder is one FileObject (its ``contentUrl`` relative to the Croissant file, where a checkout of the
registry puts the directory output); the files are FileSets ``containedIn`` it, their ``includes``
relative to that folder. A tree reads as two record sets: one record per file from the FileSet (its
path and content), and one per file from the tree's ``table.parquet`` (its FileObject with md5 and
sha256) with the label columns, joined to the files by path (``references``), so a record holds the
file and its labels. The header and the RAI properties are the table document's
(``datavet.datasheet.croissant``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datavet.datasheet.croissant import PARQUET, RECORDS_ID, column_field
from datavet.datasheet.models import Datasheet
from datavet.fsutil import sha256_file

FOLDER_ID = "data-folder"
PARTS_ID = "parquet-parts"
# the formats the file facts name (datavet.sources.file_facts) as media types
MEDIA_TYPES = {"jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif", "bmp": "image/bmp",
               "webp": "image/webp", "tiff": "image/tiff", "wav": "audio/wav", "flac": "audio/flac",
               "mp3": "audio/mpeg", "ogg": "audio/ogg", "text": "text/plain"}
CONTENT_TYPES = {"image": "sc:ImageObject", "audio": "sc:AudioObject", "text": "sc:Text"}


def _folder(folder_id: str, content_url: str, md5: str, what: str) -> dict[str, Any]:
    """A folder of the version (a loader checks no hash of a folder: ``md5`` is what DVC records for it,
    the md5 of its listing of each file's md5)."""
    return {"@type": "cr:FileObject", "@id": folder_id, "name": folder_id, "contentUrl": content_url,
            "encodingFormat": "inode/directory", "md5": md5.removesuffix(".dir"),
            "description": f"{what}: a folder whose DVC listing has md5 {md5}."}


@dataclass(frozen=True)
class Tree:
    """One tree of files in the version: the whole of a files version (``split`` None), or a split's
    folder inside it, each with the md5 DVC gives that folder."""

    split: str | None
    content_url: str  # the folder, relative to the Croissant file
    md5: str
    table: Path  # its table.parquet (one row per file), as cached
    table_md5: str
    formats: tuple[str, ...]  # the formats its files' bytes show (its integrity.json)

    def ids(self) -> tuple[str, str, str, str, str]:
        """(folder, table FileObject, FileSet, files record set, labelled record set) ids."""
        if self.split is None:
            return FOLDER_ID, "table-file", "file-set", "files", RECORDS_ID
        s = self.split
        return f"{s}-folder", f"{s}-table-file", f"{s}-file-set", f"{s}-files", s


@dataclass(frozen=True)
class TreeDistribution:
    """A tree of files, or a splits version of trees (one folder per split, each read on its own: one
    folder object holding two trees is a cycle in mlcroissant 1.1's reading plan)."""

    trees: tuple[Tree, ...]

    def nodes(self, sheet: Datasheet) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        files: list[dict[str, Any]] = []
        records: list[dict[str, Any]] = []
        for tree in self.trees:
            tree_files, tree_records = _tree_nodes(sheet, tree)
            files += tree_files
            records += tree_records
        return files, records


def label_columns(sheet: Datasheet) -> list:
    """The tree table's columns from the manifest and the names (``labels_from_path``), not the file facts
    datavet adds nor the ``split`` column of a splits version."""
    from datavet.sources.files import ALL_FACT_COLUMNS
    from datavet.splits import SPLIT_COLUMN

    return [c for c in sheet.computed.columns if c.name not in {*ALL_FACT_COLUMNS, SPLIT_COLUMN}]


def content_type(formats: tuple[str, ...]) -> str | None:
    """The data type a loader decodes the files' content as: only when they are all of one kind (one
    text or unreadable file among images would make an image decoder fail on it)."""
    kinds = {MEDIA_TYPES.get(f, "application/octet-stream").split("/")[0] for f in formats}
    return CONTENT_TYPES.get(kinds.pop()) if len(kinds) == 1 else None


def _published_files(sheet: Datasheet, split: str | None) -> str | None:
    """The files of the whole, or of a split as C8 publishes them (withheld where small)."""
    if split is None:
        return f"{sheet.computed.rows}"
    return next((s.rows.display for s in sheet.computed.splits if s.split == split and s.rows), None)


def _tree_nodes(sheet: Datasheet, tree: Tree) -> tuple[list[dict], list[dict]]:
    folder_id, table_id, set_id, files_id, records_id = tree.ids()
    where = f"split {tree.split} of the certified version" if tree.split else "the certified version"
    formats = sorted(tree.formats)
    kind = content_type(tree.formats)
    file_set = {"@type": "cr:FileSet", "@id": set_id, "name": set_id, "containedIn": {"@id": folder_id},
                "description": f"The files of {where}, at their paths under the tree's root.",
                "encodingFormat": sorted({MEDIA_TYPES.get(f, "application/octet-stream") for f in formats}),
                "includes": "files/**"}
    table = {"@type": "cr:FileObject", "@id": table_id, "name": table_id,
             "description": f"The table of {where} (Parquet): one row per file, its labels and file facts, "
                            f"md5 {tree.table_md5}.",
             "contentUrl": f"{tree.content_url}/table.parquet", "encodingFormat": PARQUET,
             "contentSize": f"{tree.table.stat().st_size} B", "md5": tree.table_md5,
             "sha256": sha256_file(tree.table)}
    path = {"@type": "cr:Field", "@id": f"{files_id}/file", "name": "file", "dataType": "sc:Text",
            "description": "The file's path under the tree's root, as the table names it.",
            "source": {"fileSet": {"@id": set_id}, "extract": {"fileProperty": "fullpath"},
                       "transform": {"regex": "^files/(.*)$"}}}
    by_file = [path]
    if kind:
        by_file.append({"@type": "cr:Field", "@id": f"{files_id}/content", "name": "content",
                        "dataType": kind, "description": "The file's bytes.",
                        "source": {"fileSet": {"@id": set_id}, "extract": {"fileProperty": "content"}}})
    labelled = [{"@type": "cr:Field", "@id": f"{records_id}/file", "name": "file", "dataType": "sc:Text",
                 "description": "The file's path under the tree's root.",
                 "source": {"fileObject": {"@id": table_id}, "extract": {"column": "file"}},
                 "references": {"field": {"@id": f"{files_id}/file"}}}]
    if kind:
        labelled.append({"@type": "cr:Field", "@id": f"{records_id}/content", "name": "content",
                         "dataType": kind, "description": "The file's bytes.",
                         "source": {"field": {"@id": f"{files_id}/content"}}})
    labelled += [column_field(c.name, c.type, c.description, records_id, table_id) for c in label_columns(sheet)]
    files = _published_files(sheet, tree.split)
    rows = f" ({files} files)" if files else ""
    folder = _folder(folder_id, tree.content_url, tree.md5,
                     f"Split {tree.split} of the certified version" if tree.split else "The certified version")
    return [folder, table, file_set], [
        {"@type": "cr:RecordSet", "@id": files_id, "name": files_id, "key": {"@id": f"{files_id}/file"},
         "description": f"One record per file of {where}: its path{' and content' if kind else ''}.",
         "field": by_file},
        {"@type": "cr:RecordSet", "@id": records_id, "name": records_id,
         "description": f"One record per file of {where}{rows}: the file with its labels.", "field": labelled}]


@dataclass(frozen=True)
class PartsDistribution:
    """A partitioned table: the folder of its Parquet parts, read as one record set."""

    content_url: str
    md5: str
    parts: int

    def nodes(self, sheet: Datasheet) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        from datavet.sources.partitioned import PART_PREFIX

        parts = {"@type": "cr:FileSet", "@id": PARTS_ID, "name": PARTS_ID, "containedIn": {"@id": FOLDER_ID},
                 "description": f"The {self.parts} Parquet parts of the certified version, one per partition.",
                 "encodingFormat": PARQUET, "includes": f"{PART_PREFIX}*.parquet"}
        records = {"@type": "cr:RecordSet", "@id": RECORDS_ID, "name": RECORDS_ID,
                   "description": f"One record per row ({sheet.computed.rows} rows, over every part).",
                   "field": [column_field(c.name, c.type, c.description, RECORDS_ID, PARTS_ID, "fileSet")
                             for c in sheet.computed.columns]}
        listing = {"@type": "cr:RecordSet", "@id": "parts", "name": "parts",
                   "description": "One record per part: its file name (DVC's listing holds each part's md5).",
                   "field": [{"@type": "cr:Field", "@id": "parts/file", "name": "file", "dataType": "sc:Text",
                              "source": {"fileSet": {"@id": PARTS_ID}, "extract": {"fileProperty": "filename"}}}]}
        folder = _folder(FOLDER_ID, self.content_url, self.md5, "The certified version, a partitioned table")
        return [folder, parts], [records, listing]
