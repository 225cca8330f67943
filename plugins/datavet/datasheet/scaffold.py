"""``datavet datasheet init SPEC``: an answers file to fill in, with every prompt's question as a
comment and pre-filled drafts where the spec or the data already say something.

Drafts are marked ``reviewed: false``: they count as unanswered until a person has checked them
(``reviewed: true``) and attested them, so nothing reaches a certified datasheet without someone
vouching for it. With the answers already written (``init SPEC --refresh``), every other entry is kept and only
the unreviewed drafts are written again from the spec: a renamed column does not leave a stale draft.
"""

from __future__ import annotations

import json
import re
import textwrap

from datavet.checks.missingness import NAME as MISSINGNESS
from datavet.datasheet.answers import AnswerInput, Answers
from datavet.datasheet.computed import published_sheet
from datavet.datasheet.profile import DataProfile
from datavet.datasheet.questions import CITATION, COMPUTED_ANSWERS, SECTIONS, is_required, prompts_in
from datavet.privacy.masking import publish_count
from datavet.report import CheckReport
from datavet.spec import LoadedSpec

# What YAML reads as a line break besides \n (YAML 1.1: NEL, LS, PS), and other characters a
# literal block cannot hold as they are.
_OTHER_BREAKS = re.compile(r"[\r\x85\u2028\u2029\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufeff]")
# Characters a YAML stream may not hold raw (PyYAML's reader refuses them; NEL, LS, PS break lines).
_NOT_YAML = re.compile("[^\x09\x0a\x0d\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]|[\u2028\u2029]")


def _scalar(text: str, indent: int) -> str:
    """A YAML scalar that reads back as exactly ``text`` and never as more keys: double-quoted on one
    line (every break escaped), or a literal block when it is plain lines of text."""
    lines = text.split("\n")
    plain = (len(lines) > 1 and not _OTHER_BREAKS.search(text) and not lines[0][:1].isspace()
             and not text.endswith("\n") and all(line == line.rstrip() for line in lines))
    if not plain:
        # JSON's escapes are YAML double-quoted escapes; what YAML cannot hold as is gets one too
        return _NOT_YAML.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(text, ensure_ascii=False))
    pad = " " * indent
    return "|-\n" + "\n".join(pad + line if line else "" for line in lines)


def _one_line(text: str) -> str:
    """Text for a comment: every YAML line break (\n, \r, NEL, LS, PS) turned into a space."""
    return " ".join(_OTHER_BREAKS.sub(" ", text).split())


def _comment(text: str, indent: int) -> list[str]:
    pad = " " * indent
    return [f"{pad}# {line}" for line in textwrap.wrap(_one_line(text), 100 - indent)]


def _drafts(loaded: LoadedSpec, report: CheckReport | None, profile: DataProfile | None) -> dict[str, str]:
    spec = loaded.spec
    t = spec.small_cell_threshold
    drafts = {"X1": spec.owner, "X2": f"Write to {spec.owner}.", "D4": spec.license}
    labels = spec.columns_with_role("label")
    if labels:
        col = spec.columns[labels[0]]
        drafts["C5"] = f"Each instance carries the label `{labels[0]}`" + (
            f"; the value `{col.positive}` counts as positive." if col.positive else ".")
    protected = spec.columns_with_role("protected")
    if protected:
        drafts["C13"] = ("Subpopulations are identified by the protected attributes "
                         f"{', '.join(protected)}; their distributions are computed below.")
    private = sorted(spec.private_columns)
    if protected or private:
        drafts["C15"] = "The spec marks these columns as protected or sensitive: " + ", ".join(
            sorted(set(protected) | set(spec.columns_with_role("sensitive")))) + "."
    if spec.columns_with_role("identifying"):
        drafts["C14"] = ("These columns identify individuals and are never published: "
                         f"{', '.join(spec.columns_with_role('identifying'))}.")
    if spec.schedule:
        drafts["X4"] = f"The certify DAG re-checks and re-certifies the data on the schedule {spec.schedule!r}."
    drafts["X6"] = ("Every certified version is tagged in the datavet data registry, with its bytes kept "
                    "in the DVC remote, so older versions stay retrievable by their md5.")
    if profile is not None:
        drafts["C9"] = (f"{publish_count(profile.duplicate_rows, t).display} rows repeat an earlier row "
                        "exactly.")
        if profile.duplicate_rows_without_identifying is not None:
            drafts["C9"] += (f" {publish_count(profile.duplicate_rows_without_identifying, t).display} repeat one "
                             "in every column but the identifying ones.")
        if profile.time_ranges:
            drafts["K5"] = "; ".join(f"{c} runs from {lo} to {hi}" for c, (lo, hi) in profile.time_ranges.items())
    if report is not None:
        missing = [(r.column, int(r.observed.get("missing_count", 0)))
                   for r in report.checks if r.check == MISSINGNESS and r.column]
        seen = dict(missing)
        if any(seen.values()):
            tokens = (f" (coded as {', '.join(repr(x) for x in spec.missing_tokens)} or empty)"
                      if spec.missing_tokens else "")
            drafts["C6"] = f"Missing cells per column{tokens}: " + ", ".join(
                f"{c} {publish_count(n, t).display}" for c, n in seen.items() if n) + "."
        flagged = [o for o in published_sheet(loaded, report).validation().checks if o.status != "passed"]
        if flagged:
            drafts["U4"] = "The checks flagged:\n" + "\n".join(
                f"- [{o.status}] {o.check} on {o.subject}" + (f": {'; '.join(o.failures)}" if o.failures else "")
                for o in flagged)
    return drafts


def _kept(item: AnswerInput) -> list[str]:
    """An entry a person wrote (anything but an empty one or an unreviewed draft), as YAML lines."""
    out = []
    for key in ("answer", "not_applicable", "attested_by"):
        text = getattr(item, key)
        if text is not None and text.strip():
            out.append(f"    {key}: {_scalar(text, 6)}")
    if item.attested_on is not None:
        out.append(f"    attested_on: {item.attested_on.isoformat()}")
    if item.reviewed:
        out.append("    reviewed: true")
    return out


def init_answers(loaded: LoadedSpec, report: CheckReport | None = None,
                 profile: DataProfile | None = None, existing: Answers | None = None) -> str:
    """The YAML text of an answers file to fill in for ``loaded``'s dataset; with ``existing``
    answers, those are kept and only empty prompts and unreviewed drafts are written afresh."""
    spec = loaded.spec
    people = spec.relates_to_people
    drafts = _drafts(loaded, report, profile)
    by = _scalar(existing.attested_by, 2) if existing and existing.attested_by else None
    on = existing.attested_on.isoformat() if existing and existing.attested_on else None
    out = [f"# Datasheet answers for {_one_line(spec.title)} ({spec.name}).",
           *_comment(f"Prompts after {CITATION} Questions are datavet's paraphrases.", 0),
           "# Give every required prompt an `answer`, or `not_applicable: <reason>` when it honestly does not",
           "# apply. Each answer is attested: set attested_by / attested_on once below, or per answer.",
           "# Pre-filled drafts come from the spec or the data (reviewed: false): check each, then set",
           "# reviewed: true. A placeholder (unknown, n/a, tbd, -) does not count as an answer.",
           "# `datavet datasheet init SPEC --refresh` rewrites the unreviewed drafts from the spec.",
           "# Shape: schemas/answers.schema.json",
           f"dataset: {spec.name}",
           f"attested_by: {by}" if by else
           "attested_by: null  # TODO: who vouches for these answers (a person or team address)",
           f"attested_on: {on}" if on else "attested_on: null  # TODO: date of attestation, YYYY-MM-DD",
           "answers:"]
    for section in SECTIONS:
        out += ["", f"  # ---- {section.title} " + "-" * max(4, 80 - len(section.title))]
        for prompt in prompts_in(section.key):
            need = "required" if is_required(prompt, people) else "optional"
            if prompt.id in COMPUTED_ANSWERS:
                need = "computed from the data; add context if useful"
            out += _comment(f"{prompt.id} ({need}). {prompt.question}", 2)
            out.append(f"  {prompt.id}:")
            item = existing.get(prompt.id) if existing else None
            draft = drafts.get(prompt.id)
            if item is not None and item.state not in ("empty", "draft"):
                out += _kept(item)
            elif draft is not None:
                out.append(f"    answer: {_scalar(draft, 6)}")
                out.append("    reviewed: false  # a draft: check it, then set true")
            else:
                out.append("    answer: null" + ("  # TODO" if need == "required" else ""))
    return "\n".join(out) + "\n"
