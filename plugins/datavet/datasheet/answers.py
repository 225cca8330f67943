"""The human half of a datasheet: ``datasheets/<name>/answers.yaml``.

Every answer says who attested it and when (its own ``attested_by`` / ``attested_on``, or the file's
defaults). A prompt is settled by an attested answer or by ``not_applicable: <reason>``; an empty
prompt is allowed in the file (so a half-filled file still loads) and counts as unanswered. So does a
placeholder ("Unknown", "n/a", "TBD", "-": see PLACEHOLDERS), which says nothing an auditor can use,
and a draft ``datavet datasheet init`` pre-filled (``reviewed: false``) until a person reviews it.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, model_validator

from datavet.datasheet.questions import PROMPTS
from datavet.errors import AnswersError, SpecError
from datavet.spec import LoadedSpec, read_user_yaml


class AnswerInput(BaseModel):
    """One prompt's answer as a person writes it."""

    model_config = ConfigDict(extra="forbid")
    answer: str | None = Field(default=None, description="The answer, in prose.")
    not_applicable: str | None = Field(
        default=None, description="Instead of an answer: why the prompt does not apply to this dataset.")
    attested_by: str | None = Field(default=None, description="Who vouches for it (overrides the default).")
    attested_on: date | None = Field(default=None, description="When, as YYYY-MM-DD (overrides the default).")
    attested_sha256: str | None = Field(
        default=None, pattern=r"^[0-9a-f]{64}$",
        description="The sha256 of the answer this attestation vouches for (`datavet certify` names it when it "
                    "refuses a stale attestation); once the answer changes, the attestation is stale.")
    reviewed: bool | None = Field(
        default=None, description="false on a draft `datavet datasheet init` pre-filled: it counts once a "
                                  "person has checked it and set true (or removed the key).")

    @model_validator(mode="after")
    def _one_kind(self) -> AnswerInput:
        if _filled(self.answer) and _filled(self.not_applicable):
            raise ValueError("give either 'answer' or 'not_applicable: <reason>', not both")
        return self

    @property
    def state(self) -> Literal["empty", "placeholder", "draft", "settled"]:
        """What the entry amounts to: only "settled" answers a prompt."""
        text = self.answer if _filled(self.answer) else self.not_applicable
        if text is None or not text.strip():
            return "empty"
        if is_placeholder(text):
            return "placeholder"
        return "draft" if self.reviewed is False else "settled"

    @property
    def settled(self) -> bool:
        return self.state == "settled"


# Texts that stand in for an answer without giving one (compared without case, spaces and a final
# period). "None" is not here: "None." can be a true answer to "Is there ...?".
PLACEHOLDERS = frozenset({"unknown", "n/a", "na", "n.a", "tbd", "tba", "todo", "to do", "fixme", "xxx", "-", "--",
                          "---", "?", "??", "...", "…"})


def is_placeholder(text: str) -> bool:
    words = " ".join(text.split()).lower()
    return words in PLACEHOLDERS or words.rstrip(".") in PLACEHOLDERS


def _filled(text: str | None) -> bool:
    return bool(text and text.strip())


PromptAnswers = create_model(  # one optional field per prompt id, so a typo'd id is an error
    "PromptAnswers",
    __config__=ConfigDict(extra="forbid"),
    __doc__="Answers keyed by prompt id (M1..X8); see the datasheet questions.",
    **{p.id: (AnswerInput | None, Field(default=None, description=f"{p.id}: {p.question}")) for p in PROMPTS},
)


class Answers(BaseModel):
    """A dataset's answers file."""

    model_config = ConfigDict(extra="forbid")
    dataset: str = Field(description="The dataset's name in its spec.")
    attested_by: str | None = Field(default=None, description="Default attester for every answer.")
    attested_on: date | None = Field(default=None, description="Default attestation date for every answer.")
    answers: PromptAnswers = Field(default_factory=PromptAnswers)  # type: ignore[valid-type]

    def get(self, pid: str) -> AnswerInput | None:
        return getattr(self.answers, pid)

    def attestation(self, pid: str) -> tuple[str | None, date | None]:
        item = self.get(pid)
        by = (item.attested_by if item and _filled(item.attested_by) else None) or self.attested_by
        on = (item.attested_on if item else None) or self.attested_on
        return (by.strip() if by and by.strip() else None), on


def _fix_for(err: dict[str, Any]) -> str:
    kind = err.get("type", "")
    loc = [str(p) for p in err.get("loc", ())]
    if kind == "extra_forbidden":
        if len(loc) == 2 and loc[0] == "answers":
            return f"use a prompt id M1..X8 (see schemas/answers.schema.json); {loc[1]!r} is not one"
        if len(loc) == 3 and loc[0] == "answers":
            return "remove it: an answer has answer or not_applicable, plus attested_by and attested_on"
        return "remove it, or check its spelling against schemas/answers.schema.json"
    if kind == "missing":
        return "add it"
    if kind.startswith("date"):
        return f"write the date as YYYY-MM-DD (got {err.get('input')!r})"
    if kind in ("string_type", "model_type", "dict_type"):
        return f"got {type(err.get('input')).__name__}; see schemas/answers.schema.json for the shape"
    return ""


def _problems(path: Path, exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ()) if not str(p).startswith(("function-", "union[")))
        fix = _fix_for(err)
        out.append(f"{path}: {loc or '(top level)'}: {err.get('msg', '')}" + (f" ({fix})" if fix else ""))
    return out


def parse_answers(data: Any, path: Path, loaded: LoadedSpec | None = None) -> Answers:
    """Validate already-parsed YAML; every problem is reported as file, key path and fix."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise AnswersError(str(path), [f"{path}: the answers file must be a YAML mapping, "
                                    f"got {type(data).__name__}"])
    if loaded is not None and "dataset" not in data:
        data = {"dataset": loaded.spec.name, **data}
    try:
        answers = Answers.model_validate(data)
    except ValidationError as exc:
        raise AnswersError(str(path), _problems(path, exc)) from None
    if loaded is not None and answers.dataset != loaded.spec.name:
        raise AnswersError(str(path), [f"{path}: dataset: {answers.dataset!r} differs from the spec's name "
                                    f"{loaded.spec.name!r} (fix: answer for the right dataset)"])
    return answers


def load_answers(path: str | Path, loaded: LoadedSpec | None = None) -> Answers:
    """Read ``answers.yaml``; a missing file is an error here (build_datasheet treats it as empty)."""
    path = Path(path)
    try:
        data = read_user_yaml(path, missing_fix="run `datavet datasheet init SPEC` and fill it in")
    except AnswersError:
        raise
    except SpecError as exc:  # not YAML, not UTF-8: said of the answers file, not of the spec
        raise AnswersError(exc.path, exc.problems) from None
    return parse_answers(data, path, loaded)
