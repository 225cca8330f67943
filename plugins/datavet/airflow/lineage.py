"""OpenLineage facets for datavet's operators (read by Airflow's OpenLineage provider after a task
succeeds, through ``get_openlineage_facets_on_complete``).

The dataset is the version's file in the registry (namespace ``file``). Its facets: the version
(md5), one data-quality assertion per check with its outcome and limits, data-quality metrics (row
count, bytes, per-column missing and distinct counts, small cells withheld) and the datasheet as
documentation. Every text comes from the published report: nothing here holds an exact small count.
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


@dataclass
class StageOutcome:
    """What an operator's ``execute`` learnt, kept on the operator for the lineage call after it."""

    loaded: LoadedSpec
    settings: Settings
    md5: str
    report: CheckReport | None = None  # published
    datasheet_md: Path | None = None
    tag: str | None = None


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
        Assertion(assertion=c.check, success=c.success, column=c.column, severity=c.severity,
                  name=f"{c.check} on {c.subject}" if c.subject else c.check,
                  expected=json.dumps(c.thresholds, sort_keys=True) if c.thresholds else None,
                  actual="; ".join(c.failures) or None)
        for c in report.checks])


def metrics_facet(outcome: StageOutcome) -> Any:
    from openlineage.client.generated.data_quality_metrics_input_dataset import (
        ColumnMetrics,
        DataQualityMetricsInputDatasetFacet,
    )

    from datavet.stages import version_bytes

    spec = outcome.loaded.spec
    data = version_bytes(outcome.settings, outcome.md5, spec.name)
    from datavet.column_stats import column_stats  # DuckDB: at run time, never at DAG parse time

    rows, stats = column_stats(data, list(spec.missing_tokens), spec.small_cell_threshold)
    # a column's missing count as the published report has it (the privacy layer's one decision: a
    # count withheld there, small or complementary, is withheld here too)
    published = {c.column: c.observed.get("missing_count") for c in (outcome.report.checks if outcome.report else [])
                 if c.check == "missingness" and c.column}

    def null_count(col: str, s: Any) -> int | None:
        if col not in published:
            return s.missing
        n = published[col]
        return n if isinstance(n, int) and not isinstance(n, bool) else None

    return DataQualityMetricsInputDatasetFacet(
        rowCount=rows, bytes=data.stat().st_size,
        columnMetrics={col: ColumnMetrics(nullCount=null_count(col, s), distinctCount=s.distinct)
                       for col, s in stats.items()})


def _base_facets(outcome: StageOutcome) -> dict[str, Any]:
    from openlineage.client.generated.dataset_version_dataset import DatasetVersionDatasetFacet
    from openlineage.client.generated.documentation_dataset import DocumentationDatasetFacet

    facets: dict[str, Any] = {"version": DatasetVersionDatasetFacet(datasetVersion=outcome.md5)}
    if outcome.datasheet_md is not None and outcome.datasheet_md.is_file():
        facets["documentation"] = DocumentationDatasetFacet(
            description=outcome.datasheet_md.read_text(encoding="utf-8"), contentType="text/markdown")
    return facets


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
    if outcome.report is not None:
        inputs.append(InputDataset(namespace=NAMESPACE, name=name, facets={"version": facets["version"]},
                                   inputFacets={"dataQualityAssertions": assertions_facet(outcome.report),
                                                "dataQualityMetrics": metrics_facet(outcome)}))
    outputs = [OutputDataset(namespace=NAMESPACE, name=name, facets=facets)]
    return OperatorLineage(inputs=inputs, outputs=outputs)
