"""OpenLineage facets for datavet's operators (read by Airflow's OpenLineage provider after a task
succeeds, through ``get_openlineage_facets_on_complete``).

The dataset is the version's file in the registry (namespace ``file``). Its facets: the version
(md5), one data-quality assertion per check with its outcome and limits (DataQualityAssertions
1-1-0), the dataset-level DataQualityMetricsDatasetFacet (row count, bytes, per-column missing and
distinct counts, small cells withheld) and the datasheet as documentation. The version stage also
names the source it read as an input: the CSV/Parquet file or folder, the tree's root, or the
database table (namespace ``<scheme>://<host>:<port>``, name ``<database>.<table>``, no credentials);
for a ``source.splits`` spec, each split's source, its split named in a ``datavet_split`` input facet.
Every text comes from the published report: nothing here holds an exact small count.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datavet.registry import Registry
from datavet.report import CheckReport
from datavet.settings import Settings
from datavet.spec import LoadedSpec

NAMESPACE = "file"
SEVERITY = {"error": "error", "warning": "warn"}  # the assertion facet's words for datavet's severities


@dataclass
class StageOutcome:
    """What an operator's ``execute`` learnt, kept on the operator for the lineage call after it."""

    loaded: LoadedSpec
    settings: Settings
    md5: str
    report: CheckReport | None = None  # published
    datasheet_md: Path | None = None
    tag: str | None = None
    read_source: bool = False  # the version stage: the source it read is an input


def _registry(settings: Settings) -> Registry:
    return Registry.of(settings)


def certified_outcome(loaded: LoadedSpec, settings: Settings, md5: str, tag: str) -> StageOutcome:
    """A certified version as committed with its tag: the published report and the datasheet."""
    registry = _registry(settings)
    name = loaded.spec.name
    report = CheckReport.model_validate_json(registry.show(tag, registry.validation_path(name, md5)))
    sheet = registry.datasheet_dir(name) / "datasheet.md"
    return StageOutcome(loaded, settings, md5, report=report, datasheet_md=sheet, tag=tag)


def dataset_name(outcome: StageOutcome) -> str:
    return str(_registry(outcome.settings).data_path(outcome.loaded.spec.name))


def assertions_facet(report: CheckReport) -> Any:
    from openlineage.client.generated.data_quality_assertions_dataset import (
        Assertion,
        DataQualityAssertionsDatasetFacet,
    )

    return DataQualityAssertionsDatasetFacet(assertions=[
        Assertion(assertion=c.check, success=c.success, column=c.column, severity=SEVERITY.get(c.severity, c.severity),
                  name=f"{c.check} on {c.subject}" if c.subject else c.check,
                  expected=json.dumps(c.thresholds, sort_keys=True) if c.thresholds else None,
                  actual="; ".join(c.failures) or None)
        for c in report.checks])


def metrics_facet(outcome: StageOutcome) -> Any:
    from openlineage.client.generated.data_quality_metrics_dataset import (
        ColumnMetrics,
        DataQualityMetricsDatasetFacet,
    )

    from datavet.stages.common import version_table

    spec = outcome.loaded.spec
    data = version_table(outcome.settings, outcome.md5, spec.name)  # a partitioned version: its parts' folder
    from datavet.checks.missingness import NAME as MISSINGNESS
    from datavet.column_stats import column_stats  # DuckDB: at run time, never at DAG parse time

    rows, stats = column_stats(data, list(spec.missing_tokens), spec.small_cell_threshold)
    # a column's missing count as the published report has it (the privacy layer's one decision: a
    # count withheld there, small or complementary, is withheld here too)
    published = {c.column: c.observed.get("missing_count") for c in (outcome.report.checks if outcome.report else [])
                 if c.check == MISSINGNESS and c.column}

    def null_count(col: str, s: Any) -> int | None:
        if col not in published:
            return s.missing
        n = published[col]
        return n if isinstance(n, int) and not isinstance(n, bool) else None

    return DataQualityMetricsDatasetFacet(
        rowCount=rows, bytes=sum(p.stat().st_size for p in data.iterdir()) if data.is_dir() else data.stat().st_size,
        columnMetrics={col: ColumnMetrics(nullCount=null_count(col, s), distinctCount=s.distinct)
                       for col, s in stats.items()})


def source_dataset(loaded: LoadedSpec) -> tuple[str, str] | None:
    """(namespace, name) of what the version stage read, after OpenLineage's naming: a local file or
    folder as ``file`` + absolute path; a database table as ``<scheme>://<host>:<port>`` +
    ``<database>.<table>`` (user and password never leave the URL); None for a query (no table)."""
    source = loaded.spec.source
    if source.sql is not None:
        if not source.sql.table:
            return None
        from sqlalchemy.engine import make_url

        from datavet.database import source_url

        url = make_url(source_url(loaded))
        scheme = {"postgresql": "postgres"}.get(url.get_backend_name(), url.get_backend_name())
        where = f"{url.host}:{url.port}" if url.port else str(url.host or "localhost")
        return f"{scheme}://{where}", f"{url.database}.{source.sql.table}" if url.database else source.sql.table
    root = source.files.root if source.files is not None else source.path
    return (NAMESPACE, str(loaded.resolve(root))) if root else None


def source_datasets(loaded: LoadedSpec) -> list[tuple[str | None, tuple[str, str]]]:
    """Every source the version stage read, as (split, (namespace, name)): the one source (split None),
    or each split's own source of a ``source.splits`` spec, named as that source alone would be."""
    splits = loaded.spec.source.splits
    if splits is None:
        found = source_dataset(loaded)
        return [] if found is None else [(None, found)]
    from datavet.sources.splits import split_loaded

    return [(name, found) for name in splits if (found := source_dataset(split_loaded(loaded, name))) is not None]


def split_facet(split: str) -> Any:
    """A custom input facet (prefixed, with its own schema URL: OpenLineage has no facet for a split) naming
    the split of the version a source became."""
    import attr
    from openlineage.client.generated.base import InputDatasetFacet

    @attr.define
    class DatavetSplitInputDatasetFacet(InputDatasetFacet):
        split: str

        @staticmethod
        def _get_schema() -> str:
            return "https://datavet.dev/spec/facets/1-0-0/DatavetSplitInputDatasetFacet.json"

    return DatavetSplitInputDatasetFacet(split=split)


def source_inputs(loaded: LoadedSpec) -> list[Any]:
    """The version stage's inputs: each source it read, a split's with the ``datavet_split`` input facet."""
    from openlineage.client.generated.base import InputDataset

    return [InputDataset(namespace=namespace, name=name,
                         inputFacets={"datavet_split": split_facet(split)} if split else {})
            for split, (namespace, name) in source_datasets(loaded)]


def _base_facets(outcome: StageOutcome) -> dict[str, Any]:
    from openlineage.client.generated.dataset_version_dataset import DatasetVersionDatasetFacet
    from openlineage.client.generated.documentation_dataset import DocumentationDatasetFacet

    facets: dict[str, Any] = {"version": DatasetVersionDatasetFacet(datasetVersion=outcome.md5)}
    if outcome.tag is not None:
        facets["datavet_provenance"] = provenance_facet(outcome)
    if outcome.datasheet_md is not None and outcome.datasheet_md.is_file():
        facets["documentation"] = DocumentationDatasetFacet(
            description=outcome.datasheet_md.read_text(encoding="utf-8"), contentType="text/markdown")
    return facets


def provenance_facet(outcome: StageOutcome) -> Any:
    """A custom facet (OpenLineage's rule: prefixed, with its own schema URL) with the certification's
    signed statement sha256, signer fingerprint, commit, tag and the data's sha256."""
    import attr
    from openlineage.client.generated.base import DatasetFacet

    from datavet.registry.store import provenance_summary

    @attr.define
    class DatavetProvenanceDatasetFacet(DatasetFacet):
        tag: str
        sha256: str | None
        statementSha256: str | None  # noqa: N815 (OpenLineage's camelCase)
        signer: str | None
        commit: str | None

        @staticmethod
        def _get_schema() -> str:
            return "https://datavet.dev/spec/facets/1-0-0/DatavetProvenanceDatasetFacet.json"

    summary = provenance_summary(_registry(outcome.settings), outcome.loaded.spec.name, outcome.tag or "")
    return DatavetProvenanceDatasetFacet(tag=outcome.tag or "", sha256=summary["sha256"],
                                         statementSha256=summary["statement_sha256"], signer=summary["signer"],
                                         commit=summary["commit"])


def operator_lineage(outcome: StageOutcome | None) -> Any:
    """The OperatorLineage of a stage: the version as input (with its checks and metrics, once
    validated) and as output (with its version and, once written, its datasheet)."""
    from airflow.providers.openlineage.extractors.base import OperatorLineage
    from openlineage.client.generated.base import InputDataset, OutputDataset

    if outcome is None:  # the task did no work (e.g. skipped): nothing to report
        return OperatorLineage()
    name = dataset_name(outcome)
    facets = _base_facets(outcome)
    inputs = []
    if outcome.read_source:
        inputs += source_inputs(outcome.loaded)
    if outcome.report is not None:
        inputs.append(InputDataset(namespace=NAMESPACE, name=name,
                                   facets={"version": facets["version"], "dataQualityMetrics": metrics_facet(outcome)},
                                   inputFacets={"dataQualityAssertions": assertions_facet(outcome.report)}))
    outputs = [OutputDataset(namespace=NAMESPACE, name=name, facets=facets)]
    return OperatorLineage(inputs=inputs, outputs=outputs)
