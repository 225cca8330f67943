"""Run a spec's suite on any engine's GX batch (what run_checks does, without storing a result)."""

from __future__ import annotations

from typing import Any

from datavet.engines.base import Engine, Table
from datavet.settings import Settings
from datavet.spec import LoadedSpec


def run_suite(loaded: LoadedSpec, settings: Settings, engine: Engine, table: Table) -> list[Any]:
    from great_expectations.validator.v1_validator import Validator

    from datavet.gx.context import file_context
    from datavet.gx.engines import fetch_inside_connection
    from datavet.gx.results import check_result, scrub
    from datavet.gx.suite import write_suite

    batch_definition, parameters = engine.gx_batch(table)
    _, suite = write_suite(file_context(settings), loaded, settings, engine.columns(table))
    validator = Validator(batch_definition=batch_definition, batch_parameters=parameters, result_format="SUMMARY")
    fetch_inside_connection(validator._wrapped_validator.execution_engine)
    results = validator.validate_expectation_suite(suite)
    scrub(results, loaded.spec.private_columns)
    return [check_result(r, loaded.spec.private_columns) for r in results.results]
