"""The dataset spec a data engineer writes (``datasheets/<name>/dataset.yaml``).

It is the single source of truth: the GX suite, the datasheet's computed sections and the DAG are
all derived from it. Invalid specs fail with every problem listed as file, key path and fix.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, field_validator, model_validator

from datavet.checks.limits import Strict
from datavet.errors import SpecError
from datavet.recode import checked_bands, refuse_token_clashes, value_names
from datavet.yamltext import EXCERPT, MAX_BYTES, DataText, YamlLimitError, excerpt, load_user_yaml

EngineName = Literal["duckdb", "pandas", "spark", "sql"]
Role = Literal["protected", "geography", "label", "time", "identifying", "sensitive"]
SCHEDULE_PRESETS = {"@once", "@continuous", "@hourly", "@daily", "@weekly", "@monthly", "@quarterly", "@yearly",
                    "@annually"}
NAME_PATTERN = r"^[a-z0-9][a-z0-9_\-]{0,62}$"




class TableSourceOptions(Strict):
    """How a table file (CSV or Parquet) is read: a file source's own keys, and a manifest's."""

    path: str = Field(description="Local path (relative to the project root) of the file, or of a directory of "
                                  "Parquet files read as one dataset (Hive-style partitions become columns).")
    format: Literal["csv", "parquet"] | None = Field(
        default=None, description="File format; inferred from the name (or a directory's files) when omitted.")
    options: dict[str, Any] = Field(
        default_factory=dict, description="Reader options (pandas.read_csv names: sep, header, names, encoding, "
                                          "skipinitialspace, ...).")

    @property
    def resolved_format(self) -> str:
        if self.format:
            return self.format
        path = (self.path or "").lower().rstrip("/")
        return "parquet" if path.endswith((".parquet", ".pq")) else "csv"


class FilesSpec(Strict):
    """A tree of files (images, audio, text): one row per file in the table the checks see."""

    root: str = Field(description="Folder the file paths are relative to (relative to the project root).")
    include: list[str] = Field(min_length=1, description="Glob patterns, relative to root, of the dataset's files.")
    exclude: list[str] = Field(default_factory=list, description="Glob patterns of files left out.")


class ManifestSpec(TableSourceOptions):
    """A table with one row per file (its labels)."""

    file_column: str = Field(description="The column holding each file's path, relative to files.root.")


class SqlSourceSpec(Strict):
    """A database table or query; the URL never appears in the spec (it holds a password)."""

    url_env: str | None = Field(default=None, description="Environment variable holding a SQLAlchemy URL.")
    conn_id: str | None = Field(default=None, description="Airflow connection id holding the URL instead.")
    table: str | None = Field(default=None, description="Table name, optionally schema-qualified (public.adult).")
    query: str | None = Field(default=None, description="A SELECT statement instead of a table.")
    order_by: list[str] = Field(default_factory=list, description="Columns giving the rows a deterministic "
                                                                  "order (default: every column).")
    partition_by: list[str] = Field(
        default_factory=list, description="Columns whose values cut the table into partitions: the version is "
                                          "one Parquet part per partition, and (on PostgreSQL) only partitions "
                                          "whose row count or checksum changed are read again.")

    @model_validator(mode="after")
    def _one_of_each(self) -> SqlSourceSpec:
        if (self.url_env is None) == (self.conn_id is None):
            raise ValueError("give exactly one of url_env (an environment variable holding the URL) or conn_id")
        if (self.table is None) == (self.query is None):
            raise ValueError("give exactly one of table or query")
        if self.query is not None:
            from datavet.sources.sql_query import FIX, query_problem

            problem = query_problem(self.query)  # the database's dialect is checked again when it is known
            if problem is not None and query_problem(self.query, None) is not None:
                raise ValueError(f"source.sql.query is refused: {problem}; {FIX}")
        return self


class SourceSpec(TableSourceOptions):
    """Where the data comes from: a table file (``path``), a tree of files (``files``) or SQL (``sql``)."""

    path: str | None = Field(default=None, description="Local path (relative to the project root) of a CSV or "
                                                        "Parquet file, or of a directory of Parquet files.")
    files: FilesSpec | None = None
    manifest: ManifestSpec | None = Field(default=None, description="With files: one row of labels per file.")
    labels_from_path: str | None = Field(
        default=None, description="With files: a regex with named groups matched against each file's path "
                                  "relative to root; the groups become columns.")
    sql: SqlSourceSpec | None = None
    partitioned: bool = Field(
        default=False, description="With a Hive-style directory of Parquet files, or a glob of CSV files in path "
                                   "(data/*.csv): version it as one Parquet part per partition folder or file (a "
                                   "DVC directory output), so a new partition is the only part read, written and "
                                   "counted again.")

    @model_validator(mode="after")
    def _one_kind(self) -> SourceSpec:
        given = [k for k in ("path", "files", "sql") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of source.path (a CSV/Parquet file or Parquet directory), "
                             f"source.files (a tree of files) or source.sql (a table or query); got {given or 'none'}")
        if self.files is None and (self.manifest is not None or self.labels_from_path is not None):
            raise ValueError("manifest and labels_from_path describe source.files; add files: {root, include}")
        if self.files is None and self.format is None and self.path is None and self.options:
            raise ValueError("options are reader options of source.path")
        glob = self.path is not None and any(c in self.path for c in "*?[")
        if self.partitioned and self.path is None:
            raise ValueError("partitioned: true versions a Hive directory of Parquet files or a glob of CSV files "
                             "(source.path: data/*.csv); remove it")
        if glob and not self.partitioned:
            raise ValueError("a glob in source.path (one part per file) needs partitioned: true")
        return self

    @property
    def kind(self) -> Literal["table", "files", "sql"]:
        """The one place a source's kind is decided (datavet.sources.source_for dispatches on it)."""
        return "files" if self.files is not None else "sql" if self.sql is not None else "table"


class ColumnSpec(Strict):
    role: Role | None = Field(default=None, description="What the column is; drives checks and datasheet sections.")
    description: str | None = Field(default=None, description="Human description, shown in datasheet C4.")
    positive: DataText | None = Field(
        default=None, description="For a label column: the value that counts as positive (1 and true are "
                                  "compared with the data as the text '1' and 'True').")

    _positive = field_validator("positive")(lambda v: v.strip() if isinstance(v, str) else v)

    postal_codes: Literal["US"] | None = Field(
        default=None, description="For a geography column: two-letter values are US state postal codes "
                                  "(USPS), resolved to USA before ISO alpha-2 codes (CA is California).")

    type: Literal["integer", "number", "string", "boolean"] | None = Field(
        default=None, description="For a tree of files: the type its labels from paths and the manifest are cast "
                                  "to (integer, number, string, boolean), so bins apply to an age read from a "
                                  "file name; a label that does not cast stops the version stage.")

    values: dict[DataText, str] | None = Field(
        default=None, description="Group names for the column's values, applied before every check: {value as "
                                  "the data writes it (compared as text): name}, e.g. {A91: male}. Values not "
                                  "in the map keep their own name; the version's bytes are not changed.")
    bins: list[float] | None = Field(
        default=None, min_length=1, description="For a numeric column: ascending band edges, applied before "
                                                "every check. Bands are right-open [a, b); values below the "
                                                "first edge form the band '< first', values at or above the "
                                                "last the band '>= last'; nulls stay missing.")
    labels: list[str] | None = Field(
        default=None, description="With bins: names of the bands between the edges (one fewer than the "
                                  "edges), or of every band including the two open ones (one more).")

    breakdown: bool = Field(
        default=True, description="For a protected column: false leaves it out of the default breakdowns (label "
                                  "balance of the label, and missingness of each parity column, by every protected "
                                  "attribute and by their intersection, reported as warnings without limits).")

    _values = field_validator("values")(lambda v: value_names(v))

    @model_validator(mode="after")
    def _bins_are_bands(self) -> ColumnSpec:
        self.labels = checked_bands(self.values, self.bins, self.labels)
        return self

    @model_validator(mode="after")
    def _positive_only_for_labels(self) -> ColumnSpec:
        if self.positive is not None and self.role != "label":
            raise ValueError("'positive' is only meaningful with role: label; add role: label or drop 'positive'")
        if not self.breakdown and self.role != "protected":
            raise ValueError("'breakdown: false' opts a protected column out of the default breakdowns; add role: "
                             "protected or drop 'breakdown'")
        if self.postal_codes is not None and self.role != "geography":
            raise ValueError("'postal_codes' is only meaningful with role: geography; add role: geography or "
                             "drop 'postal_codes'")
        return self


def _checks_model() -> type[BaseModel]:
    """The ``checks:`` block: one key per registered check type, each validated by its own module's model."""
    from datavet.checks.registry import CHECKS

    fields: dict[str, Any] = {}
    for check in CHECKS.values():
        if check.spec_key is not None:
            default = Field(default_factory=list) if check.spec_is_list else Field(default=None)
            fields[check.spec_key] = (check.spec_annotation, default)
    return create_model("ChecksSpec", __base__=Strict, **fields)


ChecksSpec = _checks_model()


class DatasetSpec(Strict):
    """One dataset, as its data engineer describes it."""

    name: str = Field(pattern=NAME_PATTERN, description="Stable identifier: DAG id, tags and paths use it.")
    title: str = Field(min_length=1)
    owner: str = Field(min_length=1, description="Who maintains the dataset (datasheet X1/X2).")
    license: str = Field(min_length=1, description="Licence or terms of use (datasheet D4).")
    source: SourceSpec
    engine: EngineName | None = Field(
        default=None, description="What computes the count tables: duckdb (default), pandas, spark or sql; "
                                  "`--engine` and DATAVET_ENGINE override it.")
    missing_tokens: list[str] = Field(
        default_factory=list, description="Values that mean 'missing' besides null/NaN, e.g. '?'.")
    small_cell_threshold: Annotated[int, Field(ge=1)] = 10
    columns: dict[str, ColumnSpec] = Field(default_factory=dict)
    aliases: dict[DataText, str] = Field(
        default_factory=dict, description="Geography: {value as written: ISO 3166-1 alpha-3}, tried before "
                                          "every built-in rule (e.g. {'Georgia': USA} for the US state).")
    checks: ChecksSpec = Field(default_factory=ChecksSpec)
    datasheet: str | None = Field(default=None, description="Path of the human answers (answers.yaml).")
    schedule: str | None = Field(default=None, description="Airflow schedule of the certify DAG (None: manual).")

    @field_validator("schedule")
    @classmethod
    def _schedule_is_airflows(cls, schedule: str | None) -> str | None:
        """Reject what Airflow would reject later, at parse time, where it would hide the DAG."""
        if schedule is None or schedule in SCHEDULE_PRESETS:
            return schedule
        try:
            from croniter import croniter
        except ImportError:  # pragma: no cover - croniter comes with Airflow
            valid = len(schedule.split()) == 5
        else:
            valid = croniter.is_valid(schedule)
        if not valid:
            presets = ", ".join(sorted(SCHEDULE_PRESETS))
            raise ValueError(f"{schedule!r} is not an Airflow schedule; use a preset ({presets}) "
                             "or a cron expression such as '0 3 * * 1'")
        return schedule

    @field_validator("aliases")
    @classmethod
    def _aliases_are_countries(cls, aliases: dict[str, str]) -> dict[str, str]:
        from datavet.geo.countries import iso3_codes

        known = iso3_codes()
        wrong = {k: v for k, v in aliases.items() if v.strip().upper() not in known}
        if wrong:
            raise ValueError(f"not ISO 3166-1 alpha-3 codes: {wrong}; map each value to a code such as GBR or USA")
        return {k: v.strip().upper() for k, v in aliases.items()}

    @field_validator("missing_tokens")
    @classmethod
    def _tokens_are_stripped(cls, tokens: list[str]) -> list[str]:
        return [t.strip() for t in tokens]

    @model_validator(mode="after")
    def _recoding_keeps_missing(self) -> DatasetSpec:
        refuse_token_clashes(self.columns, self.missing_tokens)
        return self

    @model_validator(mode="after")
    def _cross_references(self) -> DatasetSpec:
        from datavet.checks.registry import CHECKS

        problems = [p for check in CHECKS.values() for p in check.problems(self)]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    # ---- derived views used across the package -------------------------------------------------
    def columns_with_role(self, role: str) -> list[str]:
        return [name for name, col in self.columns.items() if col.role == role]

    @property
    def private_columns(self) -> set[str]:
        """Columns whose raw values must never be published."""
        return {n for n, c in self.columns.items() if c.role in ("identifying", "sensitive")}

    @property
    def relates_to_people(self) -> bool:
        return bool(self.columns_with_role("protected"))

    def postal_codes(self, column: str) -> str | None:
        col = self.columns.get(column)
        return col.postal_codes if col else None

    def positive_value(self, label: str, override: str | None = None) -> str:
        if override is not None:
            return override
        col = self.columns.get(label)
        assert col is not None and col.positive is not None  # guaranteed by _cross_references
        return col.positive

    def referenced_columns(self) -> set[str]:
        """Every data column a check names: all must exist in the data."""
        from datavet.checks.registry import CHECKS

        return {c for check in CHECKS.values() for c in check.columns(self.checks)}

    def label_positives(self) -> dict[str, str]:
        """{label column: positive value}, from the columns block and every check that sets one."""
        from datavet.checks.registry import CHECKS

        out = {c: col.positive for c, col in self.columns.items() if col.role == "label" and col.positive}
        for check in CHECKS.values():
            out |= check.label_positives(self.checks)
        return out


class LoadedSpec(BaseModel):
    """A spec together with where it came from, so relative paths resolve the same everywhere."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    spec: DatasetSpec
    path: Path
    root: Path

    def resolve(self, relative: str) -> Path:
        p = Path(relative).expanduser()
        if p.is_absolute():
            return p
        try:
            return (self.root / p).resolve()
        except (OSError, RuntimeError):  # a symlink loop: left for the reader to report with a fix
            return self.root / p

    @property
    def source_path(self) -> Path:
        """The file or directory of a table source (``source.path``)."""
        if self.spec.source.path is None:
            raise SpecError(str(self.path), [f"{self.path}: source: a {self.spec.source.kind} source has no path"])
        return self.resolve(self.spec.source.path)

    @property
    def answers_path(self) -> Path:
        if self.spec.datasheet:
            return self.resolve(self.spec.datasheet)
        return self.path.parent / "answers.yaml"


def project_root_for(spec_path: Path) -> Path:
    """``<root>/datasheets/<name>/dataset.yaml`` -> ``<root>``; anywhere else, the spec's folder."""
    spec_path = spec_path.resolve()
    if spec_path.parent.parent.name == "datasheets":
        return spec_path.parent.parent.parent
    return spec_path.parent


def _format_error(path: Path, err: dict[str, Any]) -> str:
    loc = ".".join(str(p) for p in err.get("loc", ()) if not str(p).startswith("function-after"))
    msg = err.get("msg", "")
    if len(loc) > 2 * EXCERPT:  # a key is user text too
        loc = loc[: 2 * EXCERPT - 1] + "…"
    if len(msg) > 6 * EXCERPT:
        msg = msg[: 6 * EXCERPT - 1] + "…"
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        fix = "remove it, or check its spelling against schemas/dataset.schema.json"
    elif kind == "missing":
        fix = "add it"
    elif kind.startswith(("less_than", "greater_than")):
        fix = f"use a value in range (got {excerpt(err.get('input'))})"
    elif kind == "literal_error":
        fix = f"use one of the allowed values (got {excerpt(err.get('input'))})"
    else:
        fix = f"got {excerpt(err['input'])}" if "input" in err and not isinstance(err["input"], dict) else ""
    where = f"{path}: {loc}" if loc else f"{path}"
    return f"{where}: {msg}" + (f" ({fix})" if fix else "")


def parse_spec(data: Any, path: Path) -> DatasetSpec:
    if not isinstance(data, dict):
        raise SpecError(str(path), [f"{path}: the spec must be a YAML mapping, got {type(data).__name__}"])
    try:
        return DatasetSpec.model_validate(data)
    except ValidationError as exc:
        raise SpecError(str(path), [_format_error(path, e) for e in exc.errors()]) from None


def read_user_yaml(path: Path, *, missing_fix: str) -> Any:
    """Parse a YAML file a person wrote (spec, answers); every failure is a SpecError naming the file."""
    if not path.is_file():
        raise SpecError(str(path), [f"{path}: no such file (fix: {missing_fix})"])
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise SpecError(str(path), [f"{path}: cannot read it ({exc.strerror or type(exc).__name__}; fix: make it "
                                    "readable by the account datavet and Airflow run as)"]) from None
    if len(raw) > MAX_BYTES:
        raise SpecError(str(path), [f"{path}: larger than {MAX_BYTES:,} bytes (fix: a spec or answers file is a few "
                                    "kB; remove what does not belong in it)"])
    try:
        return load_user_yaml(raw.decode("utf-8"))
    except YamlLimitError as exc:
        raise SpecError(str(path), [f"{path}: refused: {exc} (fix: write the YAML out plainly)"]) from None
    except yaml.YAMLError as exc:
        raise SpecError(str(path), [f"{path}: not valid YAML (fix: correct the syntax at the line and column "
                                    f"shown): {exc}"]) from None
    except UnicodeDecodeError:
        raise SpecError(str(path), [f"{path}: not UTF-8 text (fix: save it as UTF-8)"]) from None


def load_spec(path: str | Path) -> LoadedSpec:
    """Read and validate a spec file; every problem is listed with its key path and a fix."""
    path = Path(path)
    data = read_user_yaml(path, missing_fix="create datasheets/<name>/dataset.yaml")
    spec = parse_spec(data, path)
    root = project_root_for(path)
    loaded = LoadedSpec(spec=spec, path=path.resolve(), root=root)
    if spec.datasheet:
        answers = loaded.answers_path
        if not answers.is_relative_to(root):
            raise SpecError(str(path), [f"{path}: datasheet: {spec.datasheet!r} points outside the project "
                                        f"({root}); keep answers under datasheets/{spec.name}/"])
    expected = path.resolve().parent.name
    if path.resolve().parent.parent.name == "datasheets" and expected != spec.name:
        raise SpecError(str(path), [f"{path}: name: {spec.name!r} differs from its folder {expected!r}; "
                                    "rename one so they match"])
    return loaded


def spec_json_schema() -> str:
    """The JSON Schema editors use to validate specs (exported to schemas/dataset.schema.json)."""
    schema = DatasetSpec.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "datavet dataset spec"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def discover_specs(root: Path) -> list[Path]:
    """All specs of a project: adding a dataset is adding a YAML file."""
    return sorted((root / "datasheets").glob("*/dataset.yaml"))


_SLUG = re.compile(r"[^a-z0-9_]+")


def dag_id_for(name: str) -> str:
    return "datavet_certify_" + _SLUG.sub("_", name.lower())
