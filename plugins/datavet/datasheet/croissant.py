"""The datasheet as Croissant 1.1 JSON-LD (MLCommons) with its Responsible-AI extension (``rai:``).

Croissant is what dataset catalogues and ML loaders read: the dataset, its distribution (the
version's Parquet file with its md5 and sha256; a folder version's in ``croissant_dirs``), a record
set with one field per column, and the RAI properties. Those are filled from the same Datasheet model
as the other documents: human answers where a person answered, and the published computed figures
(shares against the reference, disparate impact, missing rates) where datavet measured them, so the
skews are stated, not implied.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

from datavet.datasheet.models import Count, Datasheet, GroupShare
from datavet.fsutil import sha256_file

FILE_NAME = "datasheet.croissant.json"
CONFORMS_TO = "http://mlcommons.org/croissant/1.1"
RAI_CONFORMS_TO = "http://mlcommons.org/croissant/RAI/1.0"
FILE_ID = "parquet-file"
PARQUET = "application/x-parquet"
RECORDS_ID = "records"
CONTEXT = {
    "@language": "en", "@vocab": "https://schema.org/", "sc": "https://schema.org/",
    "cr": "http://mlcommons.org/croissant/", "rai": "http://mlcommons.org/croissant/RAI/",
    "dct": "http://purl.org/dc/terms/", "conformsTo": "dct:conformsTo", "citeAs": "cr:citeAs",
    "equivalentProperty": "cr:equivalentProperty", "fileProperty": "cr:fileProperty", "samplingRate": "cr:samplingRate",
    "column": "cr:column", "containedIn": "cr:containedIn", "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"}, "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract", "field": "cr:field", "fileObject": "cr:fileObject", "fileSet": "cr:fileSet",
    "format": "cr:format", "includes": "cr:includes", "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath", "key": "cr:key", "md5": "cr:md5", "parentField": "cr:parentField",
    "path": "cr:path", "recordSet": "cr:recordSet", "references": "cr:references", "regex": "cr:regex",
    "repeated": "cr:repeated", "replace": "cr:replace", "separator": "cr:separator", "source": "cr:source",
    "subField": "cr:subField", "transform": "cr:transform",
}
# DuckDB storage types (ColumnInfo.type) -> schema.org data types.
_TYPES = {"BIGINT": "sc:Integer", "INTEGER": "sc:Integer", "SMALLINT": "sc:Integer", "TINYINT": "sc:Integer",
          "HUGEINT": "sc:Integer", "UBIGINT": "sc:Integer", "UINTEGER": "sc:Integer", "USMALLINT": "sc:Integer",
          "UTINYINT": "sc:Integer", "DOUBLE": "sc:Float", "FLOAT": "sc:Float", "REAL": "sc:Float",
          "BOOLEAN": "sc:Boolean", "DATE": "sc:Date", "VARCHAR": "sc:Text"}


class Layout(Protocol):
    """Where a version's bytes are and how they read as records: a table (:class:`Distribution`), a tree
    of files or a partitioned table (``datavet.datasheet.croissant_dirs``)."""

    def nodes(self, sheet: Datasheet) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The ``distribution`` (FileObjects, FileSets) and the ``recordSet`` entries."""
        ...


@dataclass(frozen=True)
class Distribution:
    """The version's bytes and where they are, relative to the Croissant file (as a loader resolves it)."""

    path: Path
    content_url: str
    members: tuple[Member, ...] = ()  # a source.splits version: each split's own Parquet file

    def nodes(self, sheet: Datasheet) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        files = [{
            "@type": "cr:FileObject", "@id": FILE_ID, "name": FILE_ID,
            "description": f"The certified version (Parquet), md5 {sheet.data_md5}.",
            "contentUrl": self.content_url, "encodingFormat": PARQUET,
            "contentSize": f"{self.path.stat().st_size} B", "md5": sheet.data_md5, "sha256": sha256_file(self.path),
        }, *(_member_file(m) for m in self.members)]
        records = [{
            "@type": "cr:RecordSet", "@id": RECORDS_ID, "name": RECORDS_ID,
            "description": f"One record per row ({sheet.computed.rows} rows).",
            "field": [column_field(c.name, c.type, c.description) for c in sheet.computed.columns],
        }, *(_member_records(sheet, m) for m in self.members)]
        return files, records


@dataclass(frozen=True)
class Member:
    """One split's Parquet member of a splits version (a FileObject and a RecordSet of its own)."""

    split: str
    path: Path
    content_url: str
    md5: str


def data_type(duckdb_type: str) -> str:
    base = duckdb_type.split("(")[0].upper()
    if base.startswith("TIMESTAMP"):
        return "sc:DateTime"
    if base == "DECIMAL":
        return "sc:Float"
    return _TYPES.get(base, "sc:Text")


def fig(value: float) -> str:
    """A share, rate or ratio as the Croissant text states it (4 decimals)."""
    return f"{value:.4f}"


def _answer(sheet: Datasheet, pid: str) -> str | None:
    entry = sheet.prompt(pid)
    if entry.status == "answered" and entry.answer:
        return " ".join(entry.answer.split())
    if entry.status == "not_applicable" and entry.not_applicable_reason:
        return f"Not applicable: {' '.join(entry.not_applicable_reason.split())}"
    return None


def _answers(sheet: Datasheet, *pids: str, prefix: dict[str, str] | None = None) -> list[str]:
    out = []
    for pid in pids:
        text = _answer(sheet, pid)
        if text:
            out.append(f"{(prefix or {}).get(pid, '')}{text}")
    return out


def rates_text(groups: list) -> str:
    """Each group's rate, or "withheld" where a small cell hides it."""
    return ", ".join(f"{g.group} {'withheld' if g.rate is None else fig(g.rate)}" for g in groups)


def group_text(g: GroupShare) -> str:
    if g.share is None:
        return f"{g.group} {g.count.display} rows (share withheld: small cell)"
    text = f"{g.group} {fig(g.share)}"
    if g.reference_share is not None:
        text += f" vs reference {fig(g.reference_share)}"
        if g.ratio is not None:
            text += f" (ratio {fig(g.ratio)})"
    return text


def measured_skews(sheet: Datasheet) -> list[str]:
    """Every skew datavet measured, one sentence per figure (published values only): each check type's
    (``CheckType.skews``, in ``datavet.checks.registry.sections()`` order)."""
    from datavet.checks.registry import sections

    return [text for check in sections() for text in check.skews(sheet)]


def _missing(count: Count | None) -> bool:
    return count is not None and (count.suppressed or (count.value or 0) > 0)


def missing_data(sheet: Datasheet) -> list[str]:
    out = _answers(sheet, "C6")
    for col in sheet.computed.columns:
        if not _missing(col.missing):
            continue
        text = f"{col.name}: {col.missing.display} missing cells"
        if col.missing_rate is not None:
            text += f" (rate {fig(col.missing_rate)})"
        tokens = [f"{token!r} {n.display}" for token, n in col.missing_tokens.items() if _missing(n)]
        out.append(text + (f", written as {', '.join(tokens)}" if tokens else "") + ".")
    return out


def limitations(sheet: Datasheet) -> list[str]:
    c = sheet.computed
    out = _answers(sheet, "C3", "C9")
    if _missing(c.duplicate_rows):
        out.append(f"{c.duplicate_rows.display} rows repeat an earlier row exactly.")
    if c.duplicate_rows_without_identifying is not None and _missing(c.duplicate_rows_without_identifying):
        out.append(f"{c.duplicate_rows_without_identifying.display} rows repeat an earlier row in every column "
                   "but the identifying ones.")
    for check in sheet.validation.checks:
        if check.status != "passed":
            out.append(f"Check {check.check} on {check.subject} {check.status}: {'; '.join(check.failures)}")
    out += [f"The answer to {x.prompt} disagrees with the data: {x.message}" for x in sheet.contradictions]
    return out


def personal_information(sheet: Datasheet) -> list[str]:
    out = _answers(sheet, "C14", "C15", "C11")
    for role in ("identifying", "sensitive", "protected"):
        names = [col.name for col in sheet.computed.columns if col.role == role]
        if names:
            out.append(f"Columns marked {role} in the spec: {', '.join(names)}.")
    return out


SPDX_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+-]*")
NOT_LICENCES = {"other", "unknown", "proprietary", "none", "see-license", "unlicensed"}
YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")


def licence(text: str) -> str:
    """The licence as a URL where it is one: an SPDX id (``CC-BY-4.0``) becomes its SPDX page; a URL stays
    as written; anything else ("other", free terms) stays text, as no URL can be made for it."""
    text = text.strip()
    if text.startswith(("https://", "http://")):
        return text
    if SPDX_ID.fullmatch(text) and text.lower() not in NOT_LICENCES:
        return f"https://spdx.org/licenses/{text}.html"
    return text


def collection_timeframe(sheet: Datasheet) -> list[str]:
    """Start and end of collection as ISO dates: the time-role columns' earliest and latest values, or
    else the first and last year that the answer to K5 names (its text goes to rai:dataCollection)."""
    starts = [t.min[:10] for t in sheet.computed.time_ranges if t.min]
    ends = [t.max[:10] for t in sheet.computed.time_ranges if t.max]
    if starts and ends and all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", d) for d in (*starts, *ends)):
        return [min(starts), max(ends)]
    years = sorted({int(y) for y in YEAR.findall(_answer(sheet, "K5") or "")})
    return [f"{years[0]}-01-01", f"{years[-1]}-12-31"] if years else []


def semver(sheet: Datasheet) -> str:
    """schema.org ``version`` as Croissant asks (MAJOR.MINOR.PATCH): the documentation date as
    YEAR.MONTH.DAY, with the md5 as build metadata. The tag number is given at certification, after
    this document is hashed into the certificate, so it cannot be the version here."""
    day = sheet.generated_at
    return f"{day.year}.{day.month}.{day.day}+{sheet.data_md5}"


def _one(parts: list[str]) -> str:
    """RAI properties that take one text: the parts as one paragraph, one sentence group each."""
    return " ".join(parts)


def column_field(name: str, duckdb_type: str, description: str | None, records: str = RECORDS_ID,
                 file: str = FILE_ID, source: str = "fileObject") -> dict[str, Any]:
    """A column as a Field of record set ``records``, read from ``file`` (a FileObject, or a FileSet
    with ``source="fileSet"``)."""
    out: dict[str, Any] = {"@type": "cr:Field", "@id": f"{records}/{quote(name, safe='')}", "name": name,
                           "dataType": data_type(duckdb_type),
                           "source": {source: {"@id": file}, "extract": {"column": name}}}
    if description:
        out["description"] = description
    return out


def croissant(sheet: Datasheet, distribution: Layout) -> dict[str, Any]:
    """The Croissant 1.1 + RAI document for one dataset version."""
    files, records = distribution.nodes(sheet)
    description = _answer(sheet, "M1") or sheet.title
    rai = {
        "rai:dataCollection": _one(_answers(sheet, "K1", "K2", "K4", "K5", prefix={"K5": "Collection period: "})),
        # the RAI 1.0 specification spells it ...Timeframe, mlcroissant 1.1 reads ...TimeFrame: both
        "rai:dataCollectionTimeframe": collection_timeframe(sheet),
        "rai:dataCollectionTimeFrame": collection_timeframe(sheet),
        "rai:dataCollectionMissingData": _one(missing_data(sheet)),
        "rai:dataCollectionRawData": _one(_answers(sheet, "P2")),
        "rai:dataPreprocessingProtocol": _answers(sheet, "P1"),
        "rai:dataBiases": _answers(sheet, "U4", "C13") + measured_skews(sheet),
        "rai:dataLimitations": limitations(sheet),
        "rai:personalSensitiveInformation": personal_information(sheet),
        "rai:dataUseCases": _answers(sheet, "U1", "U3", "U5", prefix={"U3": "Could also serve: ",
                                                                      "U5": "Not to be used for: "}),
        "rai:dataSocialImpact": _one(_answers(sheet, "K11")),
        "rai:dataReleaseMaintenancePlan": _one(_answers(sheet, "X4", "X6", "X1")),
    }
    return {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": [CONFORMS_TO, RAI_CONFORMS_TO],
        "name": sheet.dataset,
        "alternateName": sheet.title,
        "description": description,
        "license": licence(sheet.license),
        "creator": {"@type": "sc:Organization", "name": sheet.owner, "email": sheet.owner},
        "datePublished": sheet.generated_at.date().isoformat(),
        "citeAs": f"{sheet.title}. {sheet.owner}. Version md5 {sheet.data_md5}, "
                  f"documented {sheet.generated_at:%Y-%m-%d}.",
        "version": semver(sheet),
        "identifier": sheet.data_md5,
        "distribution": files,
        "recordSet": records,
        **{key: value for key, value in rai.items() if value},
    }


def _member_file(member: Member) -> dict[str, Any]:
    return {"@type": "cr:FileObject", "@id": f"{member.split}-parquet-file", "name": f"{member.split}-parquet-file",
            "description": f"Split {member.split} of the certified version (Parquet), md5 {member.md5}.",
            "contentUrl": member.content_url, "encodingFormat": PARQUET,
            "contentSize": f"{member.path.stat().st_size} B", "md5": member.md5, "sha256": sha256_file(member.path)}


def _member_records(sheet: Datasheet, member: Member) -> dict[str, Any]:
    """The split's own records: every column but the ``split`` column the whole table adds."""
    from datavet.splits import SPLIT_COLUMN

    rows = next((s.rows.display for s in sheet.computed.splits if s.split == member.split and s.rows), None)
    return {"@type": "cr:RecordSet", "@id": member.split, "name": member.split,
            "description": f"The split {member.split}: one record per row" + (f" ({rows} rows)." if rows else "."),
            "field": [column_field(c.name, c.type, c.description, member.split, f"{member.split}-parquet-file")
                      for c in sheet.computed.columns if c.name != SPLIT_COLUMN]}


def render_croissant(sheet: Datasheet, distribution: Layout) -> str:
    return json.dumps(croissant(sheet, distribution), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
