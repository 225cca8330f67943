"""``datavet``: check, document, certify and verify datasets from a shell.

Exit codes: 0 all error-severity checks pass (or the command succeeded), 1 a check failed or a
verification found a mismatch, 2 bad input or a failing environment (one message on stderr, no
traceback), 130 interrupted (Ctrl-C), 143 terminated (SIGTERM), 141 the reader of stdout went away.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import gc
import logging
import os
import signal
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from datavet import __version__
from datavet.errors import ChecksFailed, DatavetError, VerificationError
from datavet.settings import Settings
from datavet.spec import load_spec

if TYPE_CHECKING:
    from datavet.registry.certificate import Certificate
    from datavet.report import CheckReport
    from datavet.spec import LoadedSpec

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130
EXIT_BROKEN_PIPE, EXIT_TERMINATED = 141, 143  # 128 + SIGPIPE, 128 + SIGTERM, as a shell reports them


def _settings_for(spec_path: Path) -> Settings:
    from datavet.spec import project_root_for

    return Settings.from_env(project_root_for(spec_path))


def cmd_check(args: argparse.Namespace) -> int:
    loaded = load_spec(args.spec)  # first: a bad spec is refused before the engines are even imported
    settings = _settings_for(Path(args.spec))
    from datavet.audit import audit
    from datavet.ingest import source_at

    if args.data:
        loaded = source_at(loaded, args.data)
    found = audit(loaded, settings, engine=args.engine)
    return _report_check(args, loaded, found.report, found.md5)


def _report_check(args: argparse.Namespace, loaded: LoadedSpec, report: CheckReport, md5: str | None) -> int:
    """Write and print what `datavet check` found; its exit code."""
    from datavet.fsutil import atomic_write_text

    published = report.published(loaded.spec.small_cell_threshold)  # small cells suppressed
    if args.json:
        atomic_write_text(Path(args.json), published.to_json())
    if args.metrics:
        import json

        from datavet.changes import metrics_of

        atomic_write_text(Path(args.metrics), json.dumps(metrics_of(report, loaded.spec.small_cell_threshold),
                                                         indent=2) + "\n")
    where = f"md5 {md5}" if md5 else "in place"
    print(f"{loaded.spec.name}: {len(report.checks)} checks on {report.rows} rows ({where}); "
          f"{'PASSED' if report.success else 'FAILED'}")
    print(published.summary())
    from datavet.checks.geography import unresolved_lines

    for line in unresolved_lines(report):  # exact counts, for the person fixing the spec
        print(line)
    return EXIT_OK if report.success else EXIT_FAILED


def cmd_datasheet(args: argparse.Namespace) -> int:
    words = list(args.words)
    if words and words[0] == "init":
        return _datasheet_init(Path(words[1]) if len(words) > 1 else None, args)
    if len(words) != 1:
        raise DatavetError("usage: datavet datasheet SPEC | datavet datasheet init SPEC")
    from datavet.audit import audit_in
    from datavet.datasheet import build_datasheet, completeness, render_all
    from datavet.ingest import source_at

    loaded = load_spec(words[0])
    out = Path(args.out) if args.out else loaded.path.parent
    settings = _settings_for(loaded.path)
    if loaded.answers_path.is_file():  # a malformed answers file is named before any check runs
        from datavet.datasheet import load_answers

        load_answers(loaded.answers_path, loaded)
    if args.data:
        loaded = source_at(loaded, args.data)
    with tempfile.TemporaryDirectory(prefix="datavet-sheet-") as tmp:
        found = audit_in(Path(tmp), loaded, settings, in_place=False)  # the checks as `datavet check` runs them
        version = found.version
        sheet = build_datasheet(loaded, found.report, version.table, data_md5=version.md5,
                                answers_path=loaded.answers_path,
                                files=getattr(version, "integrity", None) or None)
        paths = render_all(sheet, out)
    answered, required, missing = completeness(sheet)
    for path in paths.values():
        print(path)
    print(f"answers: {answered}/{required} required prompts answered"
          + (f"; missing: {', '.join(missing)}" if missing else ""))
    return EXIT_OK


def _datasheet_init(spec_path: Path | None, args: argparse.Namespace) -> int:
    if spec_path is None:
        raise DatavetError("usage: datavet datasheet init SPEC")
    from datavet.datasheet import init_answers

    loaded = load_spec(spec_path)
    target = Path(args.out) if args.out else loaded.answers_path
    existing = None
    if target.exists() and args.refresh:
        from datavet.datasheet import load_answers

        existing = load_answers(target, loaded)
    elif target.exists() and not args.force:
        raise DatavetError(f"{target} exists", dataset=loaded.spec.name,
                           fix="pass --refresh to rewrite its unreviewed drafts from the spec (keeping every "
                               "other answer), or --force to overwrite it")
    from datavet.fsutil import atomic_write_text

    atomic_write_text(target, init_answers(loaded, existing=existing))
    if existing is not None:
        print(f"refreshed {target}: unreviewed drafts rewritten from the spec, every other answer kept "
              "(comments in the file are not kept)")
    else:
        print(f"wrote {target}: fill in the prompts marked TODO, review the drafts (reviewed: true), then run "
              f"`datavet datasheet {spec_path}`")
    return EXIT_OK


def cmd_certify(args: argparse.Namespace) -> int:
    loaded = load_spec(args.spec)  # a bad spec is refused before anything heavy is imported
    from datavet.pipeline import certificate_summary, run_all
    from datavet.registry.recertification import checked_reason
    from datavet.registry.runlog import record_run
    settings = _settings_for(loaded.path)
    reason = checked_reason(args.reason, loaded.spec.name)  # refused before any work, not after the checks
    try:
        info, cert, created = run_all(loaded, settings, reason=reason)
    except DatavetError as exc:  # kept for the auditor pages: which dataset is blocked, and why
        with contextlib.suppress(OSError):  # a full disk or read-only home must not hide the error itself
            record_run(settings, loaded.spec.name, ok=False, stage="certify", run="cli", message=str(exc))
        raise
    with contextlib.suppress(OSError):
        record_run(settings, loaded.spec.name, ok=True, stage="certify", run="cli", message=cert.tag)
    if not created:
        from datavet.registry import Registry
        from datavet.registry.current import not_current_note

        print(f"{info.dataset}: version {info.md5} is already certified as {cert.tag}; nothing to do")
        note = not_current_note(Registry.of(settings), info.dataset, cert.tag)
        if note:
            print(note)
    print(certificate_summary(cert, settings))
    print(_certified_outcome(cert, settings))
    return EXIT_OK


def _certified_outcome(cert: Certificate, settings: Settings) -> str:
    """The tally and the warnings a certified version carries, printed as `datavet check` prints them
    (from the published report the registry committed: failure texts quote counts)."""
    from datavet.registry import Registry
    from datavet.report import CheckReport, checks_tally

    registry = Registry.of(settings)
    report = CheckReport.model_validate_json(registry.show(cert.tag, registry.validation_path(cert.dataset,
                                                                                              cert.md5)))
    head = f"{cert.dataset}: {checks_tally(report.checks)}"
    return head + ("\n" + report.summary() if report.failed(severity=None) else "")


def cmd_export(args: argparse.Namespace) -> int:
    loaded = load_spec(args.spec)  # a bad spec is refused before anything heavy is imported
    from datavet.export_hf import export_hf
    paths = export_hf(loaded, _settings_for(loaded.path), Path(args.out), args.version)
    print(f"{loaded.spec.name}: wrote {paths['card'].parent} (ready to upload to a Hugging Face dataset repository)")
    for path in paths.values():
        print(f"  {path}")
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    from datavet.registry import Registry
    from datavet.registry.verify import document_problems, document_tag, stated_md5, verify_version

    target = Path(args.target)
    if target.suffix in (".yaml", ".yml"):
        loaded = load_spec(target)
        settings = _settings_for(loaded.path)
        registry = Registry.of(settings)
        result = verify_version(registry, loaded.spec.name, args.version)
    else:
        if not target.is_file():
            raise DatavetError(f"{target} does not exist", fix="pass a spec, a certificate or a datasheet file")
        md5 = stated_md5(target)
        if md5 is None:
            raise DatavetError(f"{target} states no md5", fix="pass a datavet certificate or datasheet")
        settings = Settings.from_env()
        registry = Registry.of(settings)
        name = _dataset_of(target)
        result = verify_version(registry, name, document_tag(registry, name, md5, target))
        result.problems += document_problems(registry, name, result.tag, target)
    print(result.text())
    if result.ok and result.unsigned and not args.allow_unsigned:
        print("  (exit 1: an unsigned certification proves nothing about who made it; --allow-unsigned accepts it)")
        return EXIT_FAILED
    return EXIT_OK if result.ok else EXIT_FAILED


def _dataset_of(document: Path) -> str:
    """Which dataset a document describes: its own ``dataset`` field (certificates, reports and all
    three datasheet forms state it), else its registry folder."""
    import json

    from datavet.datasheet import datasheet_identity

    try:
        data = json.loads(document.read_text(encoding="utf-8")) if document.suffix == ".json" else {}
    except (ValueError, UnicodeDecodeError, RecursionError):
        data = {}
    if isinstance(data, dict) and isinstance(data.get("dataset"), str):
        return _named(data["dataset"], document)
    stated = datasheet_identity(document).get("dataset")
    if stated:
        return _named(stated, document)
    from datavet.registry import Registry

    found = Registry.dataset_of_document(document)
    if found:
        return _named(found, document)
    raise DatavetError(f"cannot tell which dataset {document} describes", fix="pass the dataset's spec instead")


def _named(name: str, document: Path) -> str:
    """A dataset name a document states, refused unless it is one (``*`` would be a git pattern)."""
    import re

    from datavet.spec import NAME_PATTERN
    from datavet.yamltext import excerpt

    if not re.fullmatch(NAME_PATTERN, name):
        raise DatavetError(f"{document} names the dataset {excerpt(name)}, which is not a dataset name",
                           fix="pass a datavet certificate or datasheet, or the dataset's spec")
    return name


def cmd_history(args: argparse.Namespace) -> int:
    loaded = load_spec(args.spec)  # a bad spec is refused before anything heavy is imported
    from datavet.registry.history import history_table
    print(history_table(loaded, _settings_for(loaded.path), as_json=args.json))
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    loaded = load_spec(args.spec)  # a bad spec is refused before anything heavy is imported
    from datavet.pipeline import certificate_summary
    from datavet.registry import Registry
    from datavet.registry.store import committed_certificate, resolve_tag
    settings = _settings_for(loaded.path)
    registry = Registry.of(settings)
    tag = resolve_tag(registry, loaded.spec.name, args.version)
    print(certificate_summary(committed_certificate(registry, loaded.spec.name, tag), settings))
    return EXIT_OK


def _dataset(arg: str) -> tuple[str, Settings]:
    """A dataset named by its spec file or by its name (then the project is DATAVET_PROJECT or the
    current folder's)."""
    if arg.endswith((".yaml", ".yml")):
        loaded = load_spec(arg)
        return loaded.spec.name, _settings_for(loaded.path)
    import re

    from datavet.spec import NAME_PATTERN

    if not re.match(NAME_PATTERN, arg):
        raise DatavetError(f"{arg!r} is neither a dataset name nor a spec file",
                           fix="pass the dataset's name (as in its spec's name:) or its dataset.yaml")
    return arg, Settings.from_env()


def cmd_diff(args: argparse.Namespace) -> int:
    import json

    from datavet.diff import diff_text, diff_versions

    name, settings = _dataset(args.dataset)
    found = diff_versions(settings, name, args.a, args.b)
    print(json.dumps(found, indent=2, default=str) if args.json else diff_text(found))
    return EXIT_OK


def cmd_promote(args: argparse.Namespace) -> int:
    from datavet.registry import Registry
    from datavet.registry.current import promote
    from datavet.registry.store import resolve_tag

    name, settings = _dataset(args.dataset)
    registry = Registry.of(settings)
    tag = resolve_tag(registry, name, args.version)
    before, changed = promote(registry, name, tag)
    if not changed:
        print(f"{name}: {tag} is already the current version; nothing to do")
    else:
        print(f"{name}: {tag} is now the current version (was {before}): load_certified, open_certified, "
              "verify and show use it by default; recorded in the registry's history")
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    from datavet.schemas import write_schemas

    for path in write_schemas(Path(args.out)):
        print(path)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="datavet", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"datavet {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="no progress display on long work (it is shown only on a terminal anyway)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("check", help="run the spec's checks; exit 1 if an error-severity check fails")
    p.add_argument("spec")
    p.add_argument("--data", help="check this file instead of the spec's source")
    p.add_argument("--json", help="write the JSON report here")
    p.add_argument("--metrics", help="write the flat figures (a DVC metrics file) here")
    p.add_argument("--engine", choices=["duckdb", "pandas", "spark", "sql"],
                   help="what computes the checks (default: the spec's engine:, DATAVET_ENGINE or duckdb)")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("datasheet", help="write the datasheet (md/html/json); `datasheet init SPEC` "
                                         "writes an answers file to fill in")
    p.add_argument("words", nargs="+", metavar="[init] SPEC")
    p.add_argument("--data", help="document this file instead of the spec's source")
    p.add_argument("--out", help="output folder (or answers file for init)")
    p.add_argument("--force", action="store_true", help="init: overwrite an existing answers file")
    p.add_argument("--refresh", action="store_true",
                   help="init: rewrite the unreviewed drafts of an existing answers file from the spec")
    p.set_defaults(func=cmd_datasheet)

    p = sub.add_parser("certify", help="version, check, document and certify (without Airflow)")
    p.add_argument("spec")
    p.add_argument("--reason", help="why this certification is made (recorded in the certificate, its signed "
                                    "statement and `datavet history`)")
    p.set_defaults(func=cmd_certify)

    p = sub.add_parser("verify", help="re-check a certified version, certificate or datasheet end to end")
    p.add_argument("target", help="a spec, a certificate JSON or a datasheet file")
    p.add_argument("--version", help="with a spec: tag number, tag or md5 (default: latest)")
    p.add_argument("--allow-unsigned", action="store_true",
                   help="exit 0 for an UNSIGNED certification whose data and documents match (e.g. certified "
                        "before signing, or with DATAVET_SIGNING=0)")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("export", help="export a certified version: `export hf SPEC OUTDIR` writes a Hugging Face "
                                      "dataset folder (card + certified data), offline")
    p.add_argument("format", choices=["hf"])
    p.add_argument("spec")
    p.add_argument("out", metavar="OUTDIR")
    p.add_argument("--version", help="tag number, tag or md5 (default: latest)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("history", help="list the certified versions of a dataset")
    p.add_argument("spec")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_history)

    p = sub.add_parser("show", help="where a certified version's data, certificate and documents are")
    p.add_argument("spec")
    p.add_argument("--version", help="tag number, tag or md5 (default: latest)")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("diff", help="what changed between two certified versions: rows, shares, checks, answers, "
                                    "spec keys")
    p.add_argument("dataset", metavar="NAME", help="the dataset's name, or its spec file")
    p.add_argument("a", metavar="A", help="tag number, tag or md5")
    p.add_argument("b", metavar="B", help="tag number, tag or md5")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_diff)

    p = sub.add_parser("promote", help="make a certified version the one consumers load by default (promoting an "
                                       "earlier one is a rollback)")
    p.add_argument("dataset", metavar="NAME", help="the dataset's name, or its spec file")
    p.add_argument("version", metavar="VERSION", help="tag number, tag or md5")
    p.set_defaults(func=cmd_promote)

    p = sub.add_parser("schema", help="export the JSON Schemas of the spec, answers and datasheet")
    p.add_argument("--out", default="schemas")
    p.set_defaults(func=cmd_schema)
    return parser


class Terminated(BaseException):
    """SIGTERM (a scheduler or service manager stopping the command): unwound like Ctrl-C, so every
    stage undoes what it started, instead of dying mid-write as Python's default does."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated


def _interrupted(args: argparse.Namespace) -> int:
    """Ctrl-C: one line, exit 130."""
    print(f"datavet: interrupted: `datavet {args.command}` stopped; a version counts as certified only once "
          "its tag exists, and anything left unfinished was undone (or is discarded by the next run)",
          file=sys.stderr)
    return EXIT_INTERRUPTED


# Allocations between two young collections of Python's garbage collector while a command runs (the
# default is 700). Importing GX makes about a million long-lived objects, and with the default the
# collector ran some 870 times in a 1,000-row `datavet check`, six of them full passes over all of
# them (0.65-0.9 s of CPU, for almost nothing to free). With 50,000 it runs about ten times and never
# a full pass: the whole check 0.3-0.4 s less CPU (interleaved runs against 700 and 10,000), peak RSS
# no higher. Reset when the command returns, so a program that calls main() keeps its own setting.
GC_YOUNG = 50_000


def main(argv: list[str] | None = None) -> int:
    gc_before = gc.get_threshold()
    gc.set_threshold(GC_YOUNG, *gc_before[1:])
    try:
        return _main(argv)
    finally:
        gc.set_threshold(*gc_before)


def run() -> None:
    """The ``datavet`` command: ``main``, then the process ends as the interpreter's shutdown would
    end it, without its teardown of every module and object. Great Expectations leaves some 300,000
    objects behind, and freeing them one by one took 0.3-0.7 s of every command, more than a second
    run of most checks' arithmetic. What that teardown does that anyone could see is done first: the
    exit handlers (``atexit``: logging's flush, temporary folders, worker pools) and the flush of
    standard output and error; every file datavet writes is closed (and renamed into place) before
    its command returns. With a thread still running (not a daemon), the interpreter's own shutdown
    joins it."""
    import atexit
    import threading

    code = main()
    if any(not t.daemon for t in threading.enumerate() if t is not threading.main_thread()):
        sys.exit(code)
    atexit._run_exitfuncs()  # the handlers the interpreter's exit would run, in its order
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: the output is gone either way
            stream.flush()
    os._exit(code)


def _main(argv: list[str] | None) -> int:
    for stream in (sys.stdout, sys.stderr):  # a file name that is not UTF-8 is printed escaped, never a crash
        with contextlib.suppress(AttributeError, ValueError):
            stream.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    if args.quiet:
        from datavet.progress import QUIET_ENV

        os.environ[QUIET_ENV] = "1"
    with contextlib.suppress(ValueError):  # not the main thread (embedded): leave the default
        signal.signal(signal.SIGTERM, _terminate)
    try:
        return args.func(args)
    except BrokenPipeError:  # `datavet history | head -1`: the reader left; nothing to say to it
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except Terminated:
        print(f"datavet: terminated (SIGTERM): `datavet {args.command}` stopped; anything left unfinished was "
              "undone (or is discarded by the next run)", file=sys.stderr)
        return EXIT_TERMINATED
    except ChecksFailed as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_FAILED
    except VerificationError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_FAILED
    except DatavetError as exc:
        print(f"datavet: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:  # Ctrl-C: the stages undo what they started (see datavet.stages.certify)
        return _interrupted(args)
    except OSError as exc:  # the environment (disk, permissions) outside any stage's own handling
        print(f"datavet: {os_error_text(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except RecursionError:  # a document nested thousands deep (JSON, YAML front matter)
        print(f"datavet: `datavet {args.command}`: the input nests too deeply to be read (a broken or hostile "
              "file). Fix: pass the file datavet wrote", file=sys.stderr)
        return EXIT_BAD_INPUT
    except RuntimeError as exc:
        if not isinstance(exc.__cause__ or exc.__context__, KeyboardInterrupt):
            raise
        return _interrupted(args)  # DuckDB turns Ctrl-C during a query into "Query interrupted"
    except MemoryError:
        print("datavet: out of memory; nothing was certified. Fix: give the process more memory or lower "
              "DATAVET_DUCKDB_MEMORY_LIMIT", file=sys.stderr)
        return EXIT_BAD_INPUT


def os_error_text(exc: OSError) -> str:
    """One line for a failure of the environment (disk, permissions, memory): what, where, the fix."""
    where = f" {exc.filename!r}" if exc.filename else ""
    what = exc.strerror or str(exc) or type(exc).__name__
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        fix = ("make it writable (or readable) by this account, or point DATAVET_HOME at a folder it may write "
               "(DATAVET_HOME holds the registry, its remote and the run records)")
    elif exc.errno in (errno.ENOSPC, errno.EDQUOT):
        fix = "free space on that file system (or point DATAVET_HOME elsewhere), then re-run"
    elif exc.errno in (errno.ENOTDIR, errno.EEXIST, errno.EISDIR):
        fix = "a folder is needed where a file is, or the reverse: point DATAVET_HOME (or that path) elsewhere"
    elif exc.errno == errno.ENOMEM:
        fix = "raise DATAVET_DUCKDB_MEMORY_LIMIT (or run where there is more memory), then re-run"
    else:
        fix = "check that path, then re-run"
    return f"cannot use{where}: {what}. Fix: {fix}"
