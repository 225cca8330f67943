"""The registry store: every question about certified versions (which tag certified these bytes,
which tag a reader means, what its certificate says) is answered here and nowhere else."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

from datavet.errors import NotCertifiedError, RegistryError
from datavet.registry.certificate import Certificate
from datavet.registry.fingerprint import Rules, changed_parts
from datavet.registry.repo import Registry

if TYPE_CHECKING:  # pragma: no cover
    from datavet.checks.base import PreviousVersion
    from datavet.settings import Settings
    from datavet.spec import LoadedSpec


def certified_tag_for(registry: Registry, name: str, md5: str, rules: Rules | None = None,
                      spec_path: Path | None = None) -> str | None:
    """The tag that certified exactly these bytes, if any (certificates are committed with the tag).

    With ``rules`` (datavet.registry.fingerprint), only when the latest certification of these bytes was under
    the same rules: bytes certified under other rules are certified again."""
    for tag in reversed(registry.certified_tags(name)):
        if registry.recorded_md5(name, rev=tag) == md5:
            if rules is None or not changed_parts(committed_certificate(registry, name, tag), rules, spec_path):
                return tag
            return None
    return None


def previous_certified(registry: Registry, name: str, md5: str | None) -> tuple[str, str] | None:
    """(tag, md5) of the newest certified version with other bytes than ``md5`` (None: there is none)."""
    for tag in reversed(registry.certified_tags(name)):
        old_md5 = registry.recorded_md5(name, rev=tag)
        if old_md5 is not None and old_md5 != md5:
            return tag, old_md5
    return None


def previous_version(loaded: LoadedSpec, settings: Settings, md5: str | None) -> PreviousVersion | None:
    """The previous certified version as the checks that compare versions see it: its exact value counts
    are computed on demand by the version engine from its certified bytes (the stored report only has
    the published figures, small cells withheld)."""
    from datavet.checks.base import PreviousVersion
    from datavet.engines import ParquetTable, engine_for, engine_name, version_engine
    from datavet.engines.parts import value_counts_by_parts
    from datavet.recode import recode_value_counts, rules_of
    from datavet.stages.common import version_table

    name = loaded.spec.name
    found = previous_certified(Registry.of(settings), name, md5)
    if found is None:
        return None
    tag, old_md5 = found

    @functools.cache
    def counts(columns: tuple[str, ...]) -> dict:
        try:
            table = ParquetTable(version_table(settings, old_md5, name))
        except RegistryError as exc:
            raise RegistryError(f"the drift check compares with {tag}, whose bytes ({old_md5}) are in neither "
                                "the DVC cache nor the remote", dataset=name,
                                fix=f"run `dvc pull` in the registry {Registry.of(settings).root} (or "
                                    "`dvc fetch` from the remote the certificate names), or remove the drift "
                                    "check from the spec") from exc
        engine = engine_for(version_engine(engine_name(spec=loaded.spec.engine, settings=settings)), settings)
        try:
            rows = value_counts_by_parts(engine, table, list(columns), settings.memo_dir)
        finally:
            engine.close()
        # grouped as this version's tables are: the spec's values and bins (datavet.recode) apply to both
        return recode_value_counts({"columns": list(columns), "rows": [[list(key), n] for key, n in rows]},
                                   rules_of(loaded.spec))

    return PreviousVersion(tag=tag, md5=old_md5, value_counts=lambda columns: counts(tuple(columns)))


def resolve_tag(registry: Registry, name: str, version: str | int | None) -> str:
    """None -> the current version (the latest certified, or one promoted since: datavet.registry.current);
    int or "3" -> tag number; "<name>/certified/n" -> itself; md5 -> its tag."""
    tags = registry.certified_tags(name)
    if not tags:
        if not (registry.root / ".git").is_dir():
            raise NotCertifiedError(
                f"has no certified version: there is no registry at {registry.root}", dataset=name,
                fix="set DATAVET_HOME to the folder holding registry/ (or DATAVET_PROJECT to the project "
                    "folder), or call from inside the project folder")
        raise NotCertifiedError(f"has no certified version in the registry {registry.root}", dataset=name,
                                fix="run the certify DAG (or `datavet certify SPEC`) first, or point "
                                    "DATAVET_HOME (or DATAVET_PROJECT) at the project that certified it")
    if version is None:
        from datavet.registry.current import current_tag

        return current_tag(registry, name, tags) or tags[-1]
    text = str(version)
    if text in tags:
        return text
    if text.isdigit() and f"{name}/certified/{text}" in tags:
        return f"{name}/certified/{text}"
    for tag in reversed(tags):  # bytes certified again under new rules: their latest certification
        if registry.recorded_md5(name, rev=tag) == text:
            return tag
    raise NotCertifiedError(f"version {text!r} is not certified (certified: {', '.join(tags)})", dataset=name,
                            fix="pick one of the certified versions (datavet history SPEC)")


def committed_certificate(registry: Registry, name: str, tag: str) -> Certificate:
    md5 = registry.recorded_md5(name, rev=tag)
    if md5 is None:
        raise NotCertifiedError(f"tag {tag} has no .dvc pointer", dataset=name, fix="the tag is not datavet's")
    return Certificate.model_validate_json(registry.show(tag, registry.certificate_path(name, md5)))


def signed_predicate(registry: Registry, name: str, tag: str) -> dict | None:
    """The predicate of the statement committed at ``tag`` (None: the certification has none). Read
    to tell what changed since; verify is what checks its signature."""
    import json

    md5 = registry.recorded_md5(name, rev=tag)
    if md5 is None:
        return None
    try:
        data = json.loads(registry.show(tag, registry.statement_path(name, md5)))
    except (RegistryError, ValueError):
        return None
    predicate = data.get("predicate") if isinstance(data, dict) else None
    return predicate if isinstance(predicate, dict) else None


def provenance_summary(registry: Registry, name: str, tag: str) -> dict[str, str | None]:
    """What lets someone outside the registry check a certification later: the data's sha256, the
    sha256 of the signed statement, the signer's key fingerprint and the certification commit
    (the Asset event's extra and the OpenLineage facet carry them). ``signer`` None: UNSIGNED."""
    from datavet.fsutil import sha256_bytes

    cert = committed_certificate(registry, name, tag)
    try:
        statement_sha256: str | None = sha256_bytes(registry.show(tag, registry.statement_path(name, cert.md5)))
    except RegistryError:
        statement_sha256 = None
    return {"sha256": cert.sha256, "statement_sha256": statement_sha256, "signer": cert.signer,
            "commit": registry.git("rev-parse", f"refs/tags/{tag}^{{commit}}")}
