"""One operator per pipeline stage. ``__init__`` only stores arguments; work happens in ``execute``.

Bad data and bad specs fail without retry (``AirflowFailException``); a flaky registry or remote
raises a plain ``AirflowException`` so Airflow's retries apply. Every stage is idempotent.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

from airflow.sdk import Asset, BaseOperator
from airflow.sdk.exceptions import AirflowException, AirflowFailException, AirflowSkipException

from datavet.airflow.announce import announced
from datavet.airflow.lineage import StageOutcome, certified_outcome
from datavet.errors import ChecksFailed, DatavetError
from datavet.settings import Settings
from datavet.spec import LoadedSpec, load_spec, project_root_for

MD5_FROM_VERSION = "{{ ti.xcom_pull(task_ids='version') }}"


def _run_name(context: Any) -> str:
    return f"airflow:{context['dag'].dag_id}/{context['run_id']}"


def run_reason(context: Any, dataset: str) -> str | None:
    """Why this run certifies: the run's conf ``{"reason": "..."}`` (``airflow dags trigger --conf``),
    checked as ``datavet certify --reason`` is."""
    from datavet.registry.recertification import checked_reason

    conf = getattr(context.get("dag_run"), "conf", None) or {}
    reason = conf.get("reason") if isinstance(conf, dict) else None
    return checked_reason(None if reason is None else str(reason), dataset)


def record_failure(spec_path: str, stage: str, context: Any, exc: DatavetError) -> None:
    """Keep why a stage failed (the published summary or the spec problem) for the auditor pages."""
    from datavet.registry.runlog import record_run

    root = project_root_for(Path(spec_path))
    name = getattr(exc, "dataset", None) or Path(spec_path).parent.name  # a SpecError names a file, not a dataset
    with contextlib.suppress(OSError):  # never hide the stage's own error behind a bookkeeping one
        record_run(Settings.from_env(root), name, ok=False, stage=stage, run=_run_name(context), message=str(exc))


def certified_asset(name: str) -> Asset:
    """The Asset training DAGs schedule on; its events carry the md5 and tag in ``extra``."""
    return Asset(name=f"datavet_certified_{name}", uri=f"datavet://certified/{name}", group="datavet")


class DatavetFailure(AirflowFailException):
    """Failed checks or bad input: the run's outcome, said in its message. Airflow logs every
    AirflowFailException with its traceback ("Task failed with exception"); for this one the frames
    only show where datavet stopped, so the log keeps the line and drops them."""


def _without_outcome_traceback(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: no traceback for a DatavetFailure (any other exception keeps its own)."""
    info = event.get("exc_info")
    exc = info if isinstance(info, BaseException) else sys.exc_info()[1] if info is True else None
    if isinstance(exc, DatavetFailure):
        event.pop("exc_info")
        event["reason"] = str(exc)
    return event


def _fail(message: str) -> DatavetFailure:
    """The exception that fails the task, with the log set up not to print its frames. Airflow's
    structlog chain is a list shared by every logger already bound, so the processor goes in place."""
    with contextlib.suppress(Exception):  # logging is best effort; the failure itself must still raise
        import structlog

        processors = structlog.get_config()["processors"]
        if _without_outcome_traceback not in processors:
            processors.insert(0, _without_outcome_traceback)
    return DatavetFailure(message)


@contextlib.contextmanager
def airflow_errors(log: Any = None) -> Iterator[None]:
    """A DatavetError as Airflow's exception. Failed checks are the run's outcome, not a fault: their
    summary is logged once, as the outcome line, and the exception that fails the task only says so
    (no chained ChecksFailed repeating the summary, no traceback). Bad input fails the same way; a
    retryable fault (registry, remote) raises a plain AirflowException, with its traceback."""
    try:
        yield
    except ChecksFailed as exc:
        if log is not None:
            log.error("outcome: %s", exc)
            raise _fail(f"{exc.dataset}: checks failed, not certified (listed above)") from None
        raise _fail(str(exc)) from None
    except DatavetError as exc:
        if exc.retryable:
            raise AirflowException(str(exc)) from exc
        raise _fail(str(exc)) from exc


class _SpecOperator(BaseOperator):
    template_fields = ("spec_path",)
    ui_color = "#e8f4ea"

    def __init__(self, *, spec_path: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec_path = spec_path
        self._outcome: Any = None  # a datavet.airflow.lineage.StageOutcome once execute did its work

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Any:
        """Lineage for Airflow's OpenLineage provider (datavet.airflow.lineage builds the facets)."""
        from datavet.airflow.lineage import operator_lineage

        return operator_lineage(self._outcome)

    def _load(self) -> tuple[LoadedSpec, Settings]:
        loaded = load_spec(self.spec_path)
        return loaded, Settings.from_env(project_root_for(loaded.path))

    @contextlib.contextmanager
    def _recorded(self, context: Any) -> Iterator[None]:
        """airflow_errors(), and a failure's reason kept for the auditor pages (datavet.registry.runlog)."""
        with airflow_errors(self.log):
            try:
                yield
            except DatavetError as exc:
                record_failure(self.spec_path, self.task_id, context, exc)
                raise


class _VersionedOperator(_SpecOperator):
    template_fields = ("spec_path", "md5")

    def __init__(self, *, spec_path: str, md5: str = MD5_FROM_VERSION, **kwargs: Any) -> None:
        super().__init__(spec_path=spec_path, **kwargs)
        self.md5 = md5


class DatavetVersionOperator(_SpecOperator):
    """Ingest the source and version it with DVC; returns the md5 (skips if already certified)."""

    def execute(self, context: Any) -> str:
        from datavet.pipeline import version

        with self._recorded(context):
            loaded, settings = self._load()
            info = version(loaded, settings)
        if info.certified_tag:
            if announced(context, certified_asset(info.dataset), info.md5, str(settings.registry)):
                from datavet.registry import Registry
                from datavet.registry.current import not_current_note

                note = not_current_note(Registry.of(settings), info.dataset, info.certified_tag)
                _skip(self, f"{info.dataset}: version {info.md5} is already certified as {info.certified_tag}; "
                            "nothing to do" + (f". {note}" if note else ""))
            self.log.warning("%s: version %s is certified as %s but Airflow has no Asset event for it (certified "
                             "outside Airflow?); the certify task will emit it", info.dataset, info.md5,
                             info.certified_tag)
        self._outcome = StageOutcome(loaded, settings, info.md5, read_source=True)
        return info.md5


class DatavetValidateOperator(_VersionedOperator):
    """Run the dataset's GX suite on the version; fails with the list of failed checks."""

    def execute(self, context: Any) -> dict:
        from datavet.pipeline import validate

        with self._recorded(context):
            loaded, settings = self._load()
            report = validate(loaded, settings, self.md5)
        self._outcome = StageOutcome(loaded, settings, self.md5, report=report)
        return {"success": report.success, "checks": len(report.checks),
                "warnings": len(report.failed(severity="warning"))}


class DatavetDatasheetOperator(_VersionedOperator):
    """Write the datasheet for the version; fails if required answers are missing."""

    def execute(self, context: Any) -> dict[str, str]:
        from datavet.pipeline import document

        with self._recorded(context):
            loaded, settings = self._load()
            paths = document(loaded, settings, self.md5, reason=run_reason(context, loaded.spec.name))
        self._outcome = StageOutcome(loaded, settings, self.md5, datasheet_md=paths["md"])
        return {kind: str(path) for kind, path in paths.items()}


class DatavetCertifyOperator(_VersionedOperator):
    """Commit + tag the certified version and emit the dataset's Asset event (md5, tag in extra)."""

    def execute(self, context: Any) -> dict:
        from datavet.pipeline import certify
        from datavet.registry.runlog import record_run
        from datavet.report import checks_tally

        run = _run_name(context)
        with self._recorded(context):
            loaded, settings = self._load()
            cert, created = certify(loaded, settings, self.md5, certified_by=run,
                                    reason=run_reason(context, loaded.spec.name))
            record_run(settings, cert.dataset, ok=True, stage="certify", run=run, message=cert.tag)
        asset = certified_asset(cert.dataset)
        if not created and cert.certified_by != run and announced(context, asset, cert.md5, str(settings.registry)):
            _skip(self, f"{cert.dataset}: version {cert.md5} is already certified as {cert.tag}")
        self._outcome = certified_outcome(loaded, settings, cert.md5, cert.tag)
        # created now, by an earlier try of this same run that died before Airflow saw it succeed, or
        # elsewhere (the CLI) without an Asset event: emitted here, once
        from datavet.registry import Registry
        from datavet.registry.store import provenance_summary

        # the data's sha256, the signed statement's sha256, the signer and the commit: what a consumer
        # outside the registry checks a later `datavet verify` against (signer None: UNSIGNED)
        extra = {"dataset": cert.dataset, "md5": cert.md5, "tag": cert.tag, "rows": cert.rows,
                 "registry": str(settings.registry), "certified_by": cert.certified_by,
                 **provenance_summary(Registry.of(settings), cert.dataset, cert.tag)}
        context["outlet_events"][asset].extra = extra
        # the run's one outcome line, at WARNING: the level the project's task logs show (scripts/env.sh)
        self.log.warning("outcome: %s: certified version %s as %s (%s)", cert.dataset, cert.md5, cert.tag,
                         checks_tally(cert.checks))
        return extra


def _skip(task: BaseOperator, reason: str) -> NoReturn:
    """Skip with the reason in the task log at WARNING: Airflow logs a skip at INFO, which the
    project's default level (WARNING, scripts/env.sh) hides."""
    task.log.warning("outcome: skipped: %s", reason)
    raise AirflowSkipException(reason)


class InvalidSpecOperator(_SpecOperator):
    """Stands in for a certify DAG whose spec does not validate: fails, listing every problem."""

    def __init__(self, *, spec_path: str, message: str, **kwargs: Any) -> None:
        super().__init__(spec_path=spec_path, retries=0, **kwargs)
        self.message = message

    def execute(self, context: Any) -> None:
        from datavet.registry.runlog import record_run

        root = project_root_for(Path(self.spec_path))
        with contextlib.suppress(OSError):
            record_run(Settings.from_env(root), Path(self.spec_path).parent.name, ok=False, stage="spec",
                       run=_run_name(context), message=self.message)
        raise AirflowFailException(self.message)
