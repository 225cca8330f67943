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
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from datavet.errors import SpecError

Severity = Literal["error", "warning"]
EngineName = Literal["duckdb", "pandas", "spark", "sql"]
Role = Literal["protected", "geography", "label", "time", "identifying", "sensitive"]
Share = Annotated[float, Field(ge=0.0, le=1.0)]
SCHEDULE_PRESETS = {"@once", "@continuous", "@hourly", "@daily", "@weekly", "@monthly", "@quarterly", "@yearly",
                    "@annually"}
NAME_PATTERN = r"^[a-z0-9][a-z0-9_\-]{0,62}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class TableSourceOptions(_Strict):
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


class FilesSpec(_Strict):
    """A tree of files (images, audio, text): one row per file in the table the checks see."""

    root: str = Field(description="Folder the file paths are relative to (relative to the project root).")
    include: list[str] = Field(min_length=1, description="Glob patterns, relative to root, of the dataset's files.")
    exclude: list[str] = Field(default_factory=list, description="Glob patterns of files left out.")


class ManifestSpec(TableSourceOptions):
    """A table with one row per file (its labels)."""

    file_column: str = Field(description="The column holding each file's path, relative to files.root.")


class SqlSourceSpec(_Strict):
    """A database table or query; the URL never appears in the spec (it holds a password)."""

    url_env: str | None = Field(default=None, description="Environment variable holding a SQLAlchemy URL.")
    conn_id: str | None = Field(default=None, description="Airflow connection id holding the URL instead.")
    table: str | None = Field(default=None, description="Table name, optionally schema-qualified (public.adult).")
    query: str | None = Field(default=None, description="A SELECT statement instead of a table.")
    order_by: list[str] = Field(default_factory=list, description="Columns giving the rows a deterministic "
                                                                  "order (default: every column).")

    @model_validator(mode="after")
    def _one_of_each(self) -> SqlSourceSpec:
        if (self.url_env is None) == (self.conn_id is None):
            raise ValueError("give exactly one of url_env (an environment variable holding the URL) or conn_id")
        if (self.table is None) == (self.query is None):
            raise ValueError("give exactly one of table or query")
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
        return self

    @property
    def kind(self) -> Literal["table", "files", "sql"]:
        """The one place a source's kind is decided (datavet.sources.source_for dispatches on it)."""
        return "files" if self.files is not None else "sql" if self.sql is not None else "table"


class ColumnSpec(_Strict):
    role: Role | None = Field(default=None, description="What the column is; drives checks and datasheet sections.")
    description: str | None = Field(default=None, description="Human description, shown in datasheet C4.")
    positive: str | None = Field(default=None, description="For a label column: the value that counts as positive.")

    _positive = field_validator("positive")(lambda v: v.strip() if isinstance(v, str) else v)

    @model_validator(mode="after")
    def _positive_only_for_labels(self) -> ColumnSpec:
        if self.positive is not None and self.role != "label":
            raise ValueError("'positive' is only meaningful with role: label; add role: label or drop 'positive'")
        return self


class CsvReference(_Strict):
    csv: str = Field(description="Path of a CSV file with one row per group.")
    group: str = Field(default="group", description="Column holding the group names.")
    value: str = Field(default="share", description="Column holding counts or shares (normalised on load).")


# A reference is an inline {group: share} map, a named reference (e.g. world_population) or a CSV.
Reference = dict[str, Annotated[float, Field(ge=0.0)]] | str | CsvReference


def _reference_sums_to_something(ref: Reference | None) -> Reference | None:
    if isinstance(ref, dict):
        if not ref:
            raise ValueError("the reference is empty; give at least one {group: share}")
        if sum(ref.values()) <= 0:
            raise ValueError("the reference shares sum to 0; give positive shares (they are normalised to 1)")
    return ref


class ParitySpec(_Strict):
    column: str = Field(description="Column whose missingness is compared across groups.")
    by: str = Field(description="Attribute whose groups are compared.")
    max_diff: Share | None = Field(default=None, description="Largest allowed max_rate - min_rate.")
    max_ratio: Annotated[float, Field(ge=1.0)] | None = Field(
        default=None, description="Largest allowed max_rate / min_rate.")
    severity: Severity = "error"

    @model_validator(mode="after")
    def _has_threshold(self) -> ParitySpec:
        if self.max_diff is None and self.max_ratio is None:
            raise ValueError("give max_diff (e.g. 0.02) and/or max_ratio (e.g. 2.0)")
        return self


class MissingnessSpec(_Strict):
    max_rate: Share | None = Field(default=None, description="Largest allowed missing rate for every column.")
    columns: dict[str, Share] = Field(default_factory=dict, description="Per-column overrides of max_rate.")
    parity: list[ParitySpec] = Field(default_factory=list)
    severity: Severity = "error"


class RepresentationSpec(_Strict):
    column: str
    reference: Reference | None = Field(default=None, description="Reference population shares.")
    min_count: Annotated[int, Field(ge=0)] | None = None
    min_share: Share | None = None
    min_ratio: Annotated[float, Field(ge=0.0)] | None = Field(
        default=None, description="Each reference group's share/reference ratio must be at least this.")
    max_tvd: Share | None = None
    severity: Severity = "error"

    _ref = field_validator("reference")(_reference_sums_to_something)

    @model_validator(mode="after")
    def _ratio_needs_reference(self) -> RepresentationSpec:
        if (self.min_ratio is not None or self.max_tvd is not None) and self.reference is None:
            raise ValueError("min_ratio and max_tvd compare against a reference; add 'reference'")
        return self


class IntersectionalSpec(_Strict):
    columns: list[str] = Field(min_length=2, description="Two or more attributes whose combinations are counted.")
    min_count: Annotated[int, Field(ge=0)] = 0
    severity: Severity = "error"


class GeographySpec(_Strict):
    column: str
    reference: Reference | None = Field(default=None, description="'world_population' or {ISO3: share}.")
    max_top1_share: Share | None = None
    max_hhi: Share | None = None
    min_effective_countries: Annotated[float, Field(ge=0.0)] | None = None
    min_regions: Annotated[int, Field(ge=0)] | None = None
    max_tvd: Share | None = None
    min_resolved_share: Share | None = None
    min_reference_share: Share = 0.01
    min_ratio: Annotated[float, Field(ge=0.0)] | None = None
    severity: Severity = "error"

    _ref = field_validator("reference")(_reference_sums_to_something)


class LabelBalanceSpec(_Strict):
    label: str
    by: str
    positive: str | None = Field(default=None, description="Positive label value; defaults to the column's.")
    _positive = field_validator("positive")(lambda v: v.strip() if isinstance(v, str) else v)
    min_disparate_impact: Share | None = None
    max_parity_difference: Share | None = None
    severity: Severity = "error"


class FilesCheckSpec(_Strict):
    """Integrity of a tree of files against its manifest (source.files)."""

    max_missing_files: Annotated[int, Field(ge=0)] | None = Field(
        default=0, description="Manifest rows whose file is not in the tree (null: no limit).")
    max_unlisted_files: Annotated[int, Field(ge=0)] | None = Field(
        default=0, description="Files in the tree without a manifest row (null: no limit).")
    max_unreadable_files: Annotated[int, Field(ge=0)] | None = Field(
        default=0, description="Files that do not decode as the format their name claims (null: no limit).")
    max_duplicate_files: Annotated[int, Field(ge=0)] | None = Field(
        default=0, description="Files whose bytes equal an earlier file's, by md5 (null: no limit).")
    severity: Severity = "error"


class ChecksSpec(_Strict):
    files: FilesCheckSpec | None = None
    missingness: MissingnessSpec | None = None
    representation: list[RepresentationSpec] = Field(default_factory=list)
    intersectional: list[IntersectionalSpec] = Field(default_factory=list)
    geography: list[GeographySpec] = Field(default_factory=list)
    label_balance: list[LabelBalanceSpec] = Field(default_factory=list)


class DatasetSpec(_Strict):
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

    @field_validator("missing_tokens")
    @classmethod
    def _tokens_are_stripped(cls, tokens: list[str]) -> list[str]:
        return [t.strip() for t in tokens]

    @model_validator(mode="after")
    def _cross_references(self) -> DatasetSpec:
        problems: list[str] = []
        if self.checks.files is not None and self.source.files is None:
            problems.append("checks.files checks a tree of files: it needs source.files")
        for check in self.checks.label_balance:
            col = self.columns.get(check.label)
            if check.positive is None and (col is None or col.positive is None):
                problems.append(f"label_balance on {check.label!r} needs a positive value: set "
                                f"columns.{check.label}.positive or the check's 'positive'")
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

    def positive_value(self, label: str, override: str | None = None) -> str:
        if override is not None:
            return override
        col = self.columns.get(label)
        assert col is not None and col.positive is not None  # guaranteed by _cross_references
        return col.positive

    def referenced_columns(self) -> set[str]:
        """Every data column a check names: all must exist in the data."""
        names: set[str] = set()
        c = self.checks
        if c.missingness:
            names |= set(c.missingness.columns)
            for p in c.missingness.parity:
                names |= {p.column, p.by}
        names |= {r.column for r in c.representation}
        for i in c.intersectional:
            names |= set(i.columns)
        names |= {g.column for g in c.geography}
        for lb in c.label_balance:
            names |= {lb.label, lb.by}
        return names


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
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        fix = "remove it, or check its spelling against schemas/dataset.schema.json"
    elif kind == "missing":
        fix = "add it"
    elif kind.startswith(("less_than", "greater_than")):
        fix = f"use a value in range (got {err.get('input')!r})"
    elif kind == "literal_error":
        fix = f"use one of the allowed values (got {err.get('input')!r})"
    else:
        fix = f"got {err.get('input')!r}" if "input" in err and not isinstance(err["input"], dict) else ""
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
        return yaml.safe_load(path.read_text(encoding="utf-8"))
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
