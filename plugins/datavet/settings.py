"""Every knob of datavet in one typed object, read from ``DATAVET_*`` environment variables.

Embedded defaults live under ``<project>/.datavet``. Settings are read when a command or task starts
(``Settings.from_env()``), never at import time, so tests and deployments can point elsewhere.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from pydantic_settings import SettingsError as PydanticSettingsError

from datavet.errors import SettingsError


def find_project_root(start: Path | None = None) -> Path:
    """The nearest ancestor holding ``datasheets/`` or ``pyproject.toml`` (or $DATAVET_PROJECT)."""
    env = os.environ.get("DATAVET_PROJECT")
    if env:
        return Path(env).resolve()
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "datasheets").is_dir() or (candidate / "pyproject.toml").is_file():
            return candidate
    return here


class Settings(BaseSettings):
    """State locations and engine limits. Paths are made absolute: Airflow workers, the CLI and DVC
    (which stores a relative remote URL relative to ``.dvc/config``) run from different directories."""

    model_config = SettingsConfigDict(env_prefix="DATAVET_", frozen=True, extra="ignore")

    project: Path = Field(default_factory=find_project_root, description="The project root (datasheets/, dags/).")
    home: Path | None = Field(default=None, description="State folder; default <project>/.datavet.")
    registry: Path | None = Field(default=None, description="The git + DVC registry; default <home>/registry.")
    remote: str | None = Field(default=None, description="DVC remote path or URL; default <home>/remote.")
    gx_root: Path | None = Field(default=None, description="The GX project folder; default <project>/gx.")
    lock_timeout: float = Field(default=600.0, gt=0, description="Seconds to wait for the registry lock.")
    engine: Literal["duckdb", "pandas", "spark", "sql"] | None = Field(
        default=None, description="Engine when neither --engine nor the spec's engine: names one.")
    duckdb_memory_limit: str = Field(default="1GB", description="DuckDB memory_limit (it spills past it).")
    duckdb_profile_memory_limit: str = Field(
        default="512MB", description="DuckDB memory_limit of the datasheet profile's duplicate-row scan.")
    duckdb_threads: int = Field(default=2, ge=1, description="DuckDB threads.")
    spark_master: str = Field(default="local[*]", description="Spark master URL (local[*], spark://..., yarn).")
    spark_remote: str | None = Field(default=None, description="A Spark Connect URL (sc://host:15002) instead.")
    spark_driver_memory: str = Field(default="2g", description="spark.driver.memory of a session datavet starts.")
    spark_conf: dict[str, str] = Field(default_factory=dict, description="More Spark settings (JSON object in "
                                       "DATAVET_SPARK_CONF), e.g. spark.sql.shuffle.partitions or S3 credentials.")
    signing: bool = Field(default=True, description=(
        "Sign each certification (an in-toto statement and the git commit and tag, with an SSH key);"
        " DATAVET_SIGNING=0 certifies unsigned, shown as UNSIGNED everywhere."))
    signing_key: Path | None = Field(default=None, description=(
        "Private SSH key that signs certifications; default: the Airflow connection"
        " DATAVET_SIGNING_CONNECTION names, else a project key created on first use under <home>/keys."))
    signing_connection: str | None = Field(default=None, description=(
        "Airflow connection id (any secrets backend) whose extra 'private_key' (or password) holds the key."))
    allowed_signers: Path | None = Field(default=None, description=(
        "The trusted allowed-signers file verify checks signatures against (outside the registry: a key"
        " someone adds to the registry's own list is not trusted); default <home>/allowed_signers."))
    data_docs: bool = Field(default=False, description=(
        "Rebuild GX Data Docs after each validation (DATAVET_DATA_DOCS=1); off by default: it costs"
        " seconds per run and datavet's own report and datasheet do not need it."))
    file_facts_workers: int | None = Field(default=None, ge=1, description=(
        "Processes that decode a tree's new files for their facts (images: the pHash and the rest cost"
        " about as much as the decode); default: every core. 1: in the calling process."))

    @field_validator("duckdb_memory_limit", "duckdb_profile_memory_limit")
    @classmethod
    def _duckdb_size(cls, value: str) -> str:
        """A size DuckDB accepts, asked of DuckDB itself (so a typo fails here, with the setting's name)."""
        import duckdb

        try:
            duckdb.connect(config={"memory_limit": value}).close()
        except duckdb.Error:
            raise ValueError(f"{value!r} is not a size DuckDB reads; write e.g. 1GB or 512MB") from None
        return value

    @model_validator(mode="after")
    def _absolute(self) -> Settings:
        project = self.project.resolve()
        home = (self.home or project / ".datavet").resolve()
        remote = self.remote or str(home / "remote")
        object.__setattr__(self, "project", project)
        object.__setattr__(self, "home", home)
        object.__setattr__(self, "registry", (self.registry or home / "registry").resolve())
        object.__setattr__(self, "remote", remote if "://" in remote else str(Path(remote).resolve()))
        object.__setattr__(self, "gx_root", (self.gx_root or project / "gx").resolve())
        object.__setattr__(self, "allowed_signers", (self.allowed_signers or home / "allowed_signers").resolve())
        if self.signing_key is not None:
            object.__setattr__(self, "signing_key", self.signing_key.resolve())
        return self

    @classmethod
    def from_env(cls, project: Path | None = None) -> Settings:
        """Settings from the environment; ``project`` overrides DATAVET_PROJECT and the search from cwd.
        A bad ``DATAVET_*`` value is a SettingsError naming the variable (not pydantic's traceback)."""
        try:
            return cls(project=project) if project is not None else cls()
        except ValidationError as exc:
            raise _settings_error(exc) from None
        except PydanticSettingsError as exc:  # a complex value (DATAVET_SPARK_CONF) that is not JSON
            field = re.search(r'field "(\w+)"', str(exc))
            name = "DATAVET_" + (field.group(1).upper() if field else "*")
            raise SettingsError(f"bad setting: {name} is not valid JSON", fix=f"give {name} as a JSON object, "
                                "e.g. '{\"spark.sql.shuffle.partitions\": \"8\"}', or unset it") from None

    @property
    def expectations_dir(self) -> Path:
        return self.project / "expectations"


def _settings_error(exc: ValidationError) -> SettingsError:
    """Which ``DATAVET_*`` variables are wrong, what they hold (cut short) and what they should hold."""
    from datavet.yamltext import excerpt

    problems, names = [], []
    for err in exc.errors():
        field = str(err["loc"][0]) if err.get("loc") else "setting"
        name = "DATAVET_" + field.upper()
        names.append(name)
        problems.append(f"{name}={excerpt(err.get('input'))} ({field}): {err.get('msg', 'invalid')}")
    return SettingsError("bad setting: " + "; ".join(problems),
                         fix=f"correct or unset {', '.join(dict.fromkeys(names))} (see README: settings)")
