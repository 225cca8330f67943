"""The certificate: the promise that these exact bytes passed these exact checks and are described
by these exact documents. Every field an auditor needs to re-check that promise is in it."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class CheckOutcome(BaseModel):
    model_config = ConfigDict(extra="forbid")
    check: str
    subject: str
    severity: str
    success: bool


class Recertification(BaseModel):
    """What changed since the dataset's previous certification (answers, spec keys) and why."""

    model_config = ConfigDict(extra="forbid")
    previous_tag: str | None = Field(description="The dataset's previous certification.")
    answers: list[str] = Field(default_factory=list, description="Ids of the answers added, removed or changed.")
    spec_keys: list[str] = Field(default_factory=list, description="Dotted spec keys added, removed or changed.")
    reason: str | None = Field(default=None, description="Why, in the words of `datavet certify --reason`.")
    compared: bool = Field(default=True, description="False when the previous certification has no signed statement "
                                                     "(certified unsigned): what changed in its rules is not known.")


class Certificate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dataset: str
    md5: str = Field(description="DVC md5 of the Parquet bytes: the version's identity.")
    sha256: str | None = Field(
        default=None, description="sha256 identity of the data (a tree: of its listing of each file's sha256; "
                                  "datavet.registry.identity), hashed from the bytes in this certification.")
    size: int
    rows: int
    tag: str
    sequence: int
    certified_at: str = Field(description="UTC time of certification, ISO 8601.")
    datavet_version: str
    spec_sha256: str
    missing_tokens: list[str]
    data_path: str = Field(description="Path of the data in the registry (tracked by its .dvc file).")
    dvc_file: str
    remote: str
    suite_name: str | None
    suite_sha256: str | None
    validation_result_id: str | None
    validation_success: bool
    files: dict[str, str] = Field(
        description="sha256 of every document certified with the data, by registry-relative path.")
    checks: list[CheckOutcome]
    rules: dict[str, str] | None = Field(
        default=None, description="sha256 of the normalised spec, the suite and the answers the bytes were "
                                  "certified under (datavet.registry.fingerprint); absent in certificates from before.")
    certified_by: str | None = Field(
        default=None, description="What certified it: 'cli', or 'airflow:<dag_id>/<run_id>' (lets a retry of "
                                  "the same run finish its work, e.g. emit the Asset event).")

    signer: str | None = Field(
        default=None, description="SHA256 fingerprint of the SSH key that signed the statement and tag; None: "
                                  "UNSIGNED.")
    changes: Recertification | None = Field(
        default=None, description="What changed since the previous certification, and the reason given.")

    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_path(cls, path: Path) -> Certificate:
        return cls.model_validate_json(path.read_bytes())
