"""One error family for everything a user can get wrong, so the CLI and the operators can tell
bad input (exit 2, no retry) from a failed check (exit 1) and from a flaky environment (retry)."""

from __future__ import annotations


class DatavetError(Exception):
    """Base class: a message a person can act on, plus a stable reason code for scripts."""

    reason = "datavet_error"
    retryable = False

    def __init__(self, message: str, *, dataset: str | None = None, column: str | None = None,
                 fix: str | None = None) -> None:
        self.message = message
        self.dataset = dataset
        self.column = column
        self.fix = fix
        parts = []
        if dataset:
            parts.append(f"dataset {_short(dataset)}")
        if column:
            parts.append(f"column {_short(column)}")
        prefix = (", ".join(parts) + ": ") if parts else ""
        suffix = f" Fix: {fix}" if fix else ""
        super().__init__(f"{prefix}{message}{suffix}")


def _short(value: str, limit: int = 80) -> str:
    """``repr(value)``, cut short: a name or column comes from user input and may be any length."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class SpecError(DatavetError):
    """The dataset spec (or another YAML the user writes) is invalid."""

    reason = "invalid_spec"

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        Exception.__init__(self, f"{path}: {len(problems)} problem(s) in the spec:\n{lines}")


class SettingsError(DatavetError, ValueError):
    """A ``DATAVET_*`` environment variable holds a value datavet cannot use (a ValueError, as
    pydantic's own error was, for callers that caught that)."""

    reason = "bad_setting"


class DataError(DatavetError):
    """The data cannot be read or does not match what the spec says about it."""

    reason = "bad_data"


class UsageError(DatavetError):
    """A command-line argument or run parameter datavet cannot use."""

    reason = "bad_usage"


class ColumnNotFoundError(DataError):
    reason = "column_not_found"


class BadReferenceError(DatavetError):
    """A reference distribution is unusable (unknown name, empty, negative shares)."""

    reason = "bad_reference"


class SuiteError(DatavetError):
    """The GX suite on disk does not match what datavet can run (e.g. an unknown expectation)."""

    reason = "bad_suite"


class ChecksFailed(DatavetError):
    """At least one error-severity check failed: the version must not be certified."""

    reason = "checks_failed"

    def __init__(self, dataset: str, summary: str) -> None:
        self.summary = summary
        self.dataset = dataset
        self.column = None
        self.fix = None
        Exception.__init__(self, f"dataset {dataset!r}: checks failed, not certified.\n{summary}")


class DatasheetIncomplete(DatavetError):
    """Required datasheet prompts are unanswered."""

    reason = "datasheet_incomplete"


class RegistryError(DatavetError):
    """The git/DVC data registry or its remote is unusable; often transient, so retryable."""

    reason = "registry_error"
    retryable = True


class NotCertifiedError(DatavetError):
    """A consumer asked for data that is not certified, or whose bytes no longer match."""

    reason = "not_certified"


class VerificationError(DatavetError):
    """A certificate, datasheet or data file no longer matches what was certified."""

    reason = "verification_failed"


class AnswersError(SpecError):
    """The datasheet answers file (answers.yaml) is invalid: named as such, not as the spec."""

    reason = "invalid_answers"

    def __init__(self, path: str, problems: list[str]) -> None:
        super().__init__(path, problems)
        lines = "\n".join(f"  - {p}" for p in problems)
        Exception.__init__(self, f"{path}: {len(problems)} problem(s) in the answers file:\n{lines}")


class SigningError(DatavetError):
    """The key that signs certifications is missing, unreadable or refused by ssh-keygen."""

    reason = "signing_error"


class StaleAttestation(DatavetError):
    """An answer changed after the attestation that vouches for it."""

    reason = "stale_attestation"


class PrivacyError(DatavetError):
    """What is about to be published would let a reader narrow a small cell down (datavet.privacy):
    nothing is published."""

    reason = "disclosure_risk"
