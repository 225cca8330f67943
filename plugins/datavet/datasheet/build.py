"""Assemble a datasheet for one version: the human answers, the computed sections, the check
outcomes and the md5 that binds them to the bytes. Incompleteness is recorded, not raised: the
certify stage decides with :func:`require_complete`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from datavet.datasheet.answers import Answers, load_answers
from datavet.datasheet.computed import build_sections, files_figure
from datavet.datasheet.contradictions import find_contradictions
from datavet.datasheet.models import Completeness, Computed, Datasheet, PromptEntry, SectionEntry
from datavet.datasheet.profile import profile_parquet, profile_version
from datavet.datasheet.questions import CITATION, COMPUTED_ANSWERS, SECTIONS, Prompt, is_required, prompts_in
from datavet.engines import Engine
from datavet.errors import DatasheetIncomplete, VerificationError
from datavet.report import CheckReport
from datavet.spec import LoadedSpec

# Which computed figures (keys of Datasheet.computed, or "validation") inform which prompt.
FIGURES: dict[str, list[str]] = {
    "C2": ["rows"], "C3": ["representation", "geography"], "C4": ["columns"], "C5": ["label"],
    "C6": ["missing_cells", "columns", "parity"], "C8": ["splits"], "C9": ["duplicate_rows", "validation"],
    "C13": ["representation", "intersections", "geography"], "K5": ["time_ranges"], "U4": ["validation"],
}
SETTLED = ("answered", "not_applicable", "computed")


def _entry(prompt: Prompt, answers: Answers, has_label: bool, people: bool) -> PromptEntry:
    required = is_required(prompt, people)
    item = answers.get(prompt.id)
    by, on = answers.attestation(prompt.id)
    entry = PromptEntry(id=prompt.id, question=prompt.question, required=required, status="unanswered",
                        figures=list(FIGURES.get(prompt.id, [])))
    if item is not None and item.settled:
        entry.attested_by, entry.attested_on = by, on
        if item.answer and item.answer.strip():
            entry.answer = item.answer.strip()
            entry.status = "answered"
        else:
            entry.not_applicable_reason = (item.not_applicable or "").strip()
            entry.status = "not_applicable"
        if by is None or on is None:
            entry.status = "unattested"
    elif prompt.id in COMPUTED_ANSWERS or (prompt.id == "C5" and has_label):
        entry.status = "computed"
    elif not required:
        entry.status = "optional"
    elif item is not None and item.state in ("placeholder", "draft"):
        entry.status = item.state
    return entry


def _completeness(sections: list[SectionEntry]) -> Completeness:
    required = [e for s in sections for e in s.prompts if e.required]
    missing = [e.id for e in required if e.status not in SETTLED]
    return Completeness(answered=len(required) - len(missing), required=len(required), missing=missing)


def _sections(loaded: LoadedSpec, answers: Answers, *, has_label: bool) -> list[SectionEntry]:
    people = loaded.spec.relates_to_people
    return [SectionEntry(key=s.key, title=s.title, intro=s.intro,
                         prompts=[_entry(p, answers, has_label, people) for p in prompts_in(s.key)])
            for s in SECTIONS]


def require_answers(loaded: LoadedSpec) -> None:
    """The answers gate from the spec and the answers file alone (C5 is computed when the spec has a
    label column), so certification refuses missing answers before it spends time on the checks."""
    path = loaded.answers_path
    answers = load_answers(path, loaded) if path.is_file() else Answers(dataset=loaded.spec.name)
    sections = _sections(loaded, answers, has_label=bool(loaded.spec.columns_with_role("label")))
    _raise_if_incomplete(sections, _completeness(sections), loaded.spec.name)


def assemble(loaded: LoadedSpec, answers: Answers, computed: Computed, validation, *, data_md5: str,
             raw_missing: int | str | None, raw_duplicates: int) -> Datasheet:
    """The datasheet from its parts (separate from I/O so tests can build one from known parts)."""
    spec = loaded.spec
    people = spec.relates_to_people
    sections = _sections(loaded, answers, has_label=computed.label is not None)
    texts = {e.id: e.answer for s in sections for e in s.prompts if e.answer}
    contradictions = find_contradictions(texts, rows=computed.rows, missing_cells=raw_missing,
                                         duplicate_rows=raw_duplicates, threshold=spec.small_cell_threshold)
    for s in sections:
        for e in s.prompts:
            e.contradictions = [c.message for c in contradictions if c.prompt == e.id]
    return Datasheet(dataset=spec.name, title=spec.title, owner=spec.owner, license=spec.license,
                     data_md5=data_md5, generated_at=datetime.now(UTC).replace(microsecond=0),
                     citation=CITATION, relates_to_people=people,
                     small_cell_threshold=spec.small_cell_threshold, validation=validation, computed=computed,
                     sections=sections, completeness=_completeness(sections), contradictions=contradictions)


def build_datasheet(loaded: LoadedSpec, report: CheckReport, parquet_path: Path, *, data_md5: str,
                    answers_path: Path | None = None, engine: Engine | None = None,
                    files: dict | None = None) -> Datasheet:
    """The datasheet of the version at ``parquet_path`` (md5 ``data_md5``) checked by ``report``.

    ``answers_path`` defaults to the spec's answers file; when that does not exist every prompt is
    unanswered (the completeness figure says so). A report about other bytes is refused. ``engine``
    (default: DuckDB) computes the profile. ``files``: a tree version's integrity figures
    (``integrity.json``), for the composition of its files.
    """
    spec = loaded.spec
    if report.dataset != spec.name:
        raise VerificationError(f"the check report is for dataset {report.dataset!r}", dataset=spec.name,
                                fix="pass the report of this dataset's checks")
    if report.data_hash is not None and report.data_hash != data_md5:
        raise VerificationError(f"the check report describes data {report.data_hash} but the version is "
                                f"{data_md5}", dataset=spec.name, fix="re-run the checks on this version")
    profile = (profile_version(Path(parquet_path), loaded, engine) if engine is not None
               else profile_parquet(Path(parquet_path), loaded))
    if profile.rows != report.rows:
        raise VerificationError(f"the check report counted {report.rows} rows but {parquet_path} has "
                                f"{profile.rows}", dataset=spec.name, fix="re-run the checks on this version")
    path = Path(answers_path) if answers_path is not None else loaded.answers_path
    use_file = answers_path is not None or path.is_file()
    answers = load_answers(path, loaded) if use_file else Answers(dataset=spec.name)
    computed, validation = build_sections(loaded, report, profile)
    if files is not None:
        computed.files = files_figure(files)
    cells = computed.missing_cells  # as published: a withheld total is quoted as withheld
    return assemble(loaded, answers, computed, validation, data_md5=data_md5,
                    raw_missing=None if cells is None else (cells.value if cells.value is not None else cells.display),
                    raw_duplicates=profile.duplicate_rows)


def completeness(datasheet: Datasheet) -> tuple[int, int, list[str]]:
    """(answered, required, missing prompt ids): the figure certification gates on."""
    c = datasheet.completeness
    return c.answered, c.required, list(c.missing)


def require_complete(datasheet: Datasheet, dataset: str | None = None) -> None:
    """Raise :class:`DatasheetIncomplete` naming every required prompt without an attested answer."""
    _raise_if_incomplete(datasheet.sections, datasheet.completeness, dataset or datasheet.dataset)


def _raise_if_incomplete(sections: list[SectionEntry], done: Completeness, name: str) -> None:
    answered, required, missing = done.answered, done.required, list(done.missing)
    if not missing:
        return
    by_status = {status: [e.id for s in sections for e in s.prompts if e.status == status]
                 for status in ("unattested", "placeholder", "draft")}
    parts = [f"{answered}/{required} required prompts answered; unanswered: {', '.join(missing)}"]
    for status, words in (("unattested", "answered but not attested"),
                          ("placeholder", "a placeholder (unknown, n/a, tbd, -) is no answer"),
                          ("draft", "pre-filled drafts not reviewed yet")):
        if by_status[status]:
            parts.append(f"{words}: {', '.join(by_status[status])}")
    raise DatasheetIncomplete(
        "; ".join(parts) + ".", dataset=name,
        fix=f"in datasheets/{name}/answers.yaml give each an 'answer' or 'not_applicable: <reason>', with "
            "attested_by and attested_on (per answer or as the file's defaults), and set 'reviewed: true' on "
            "each draft you have checked; `datavet datasheet init` writes a file to fill in")
