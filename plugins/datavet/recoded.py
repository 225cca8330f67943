"""Certified data as the checks saw it: the spec's ``values`` and ``bins`` applied to the rows.

A consumer asking for recoded labels (``load_certified(..., recoded=True)``, ``open_certified``'s
labels) gets the groups every figure of the datasheet is about (``Male`` rather than ``1.0``, the
band ``[20, 30)`` rather than 26). The rules come from the spec the version was certified under:
the project's spec is used only when its fingerprint is the one the certificate records, so a
spec edited since certification cannot silently rename a certified version's groups.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from datavet.errors import NotCertifiedError
from datavet.recode import Rules, recode_value, rules_of

if TYPE_CHECKING:  # pragma: no cover
    from datavet.registry.certificate import Certificate
    from datavet.settings import Settings


def certified_rules(cert: Certificate, settings: Settings, spec_path: Path | None = None) -> Rules:
    """The recoding rules of the spec ``cert`` was certified under (default spec:
    ``<project>/datasheets/<name>/dataset.yaml``)."""
    from datavet.fsutil import sha256_file
    from datavet.registry.fingerprint import _sha
    from datavet.spec import load_spec

    name = cert.dataset
    path = spec_path or settings.project / "datasheets" / name / "dataset.yaml"
    if not path.is_file():
        raise NotCertifiedError(f"recoded labels need the spec {cert.tag} was certified under; {path} does not "
                                "exist", dataset=name,
                                fix="pass spec=<path of the dataset's spec>, or load with recoded=False")
    loaded = load_spec(path)
    same = (cert.rules.get("spec") == _sha(loaded.spec.model_dump(mode="json")) if cert.rules is not None
            else cert.spec_sha256 == sha256_file(path))
    if loaded.spec.name != name or not same:
        raise NotCertifiedError(f"the spec {path} is not the one {cert.tag} was certified under (it changed "
                                "since), so its values and bins may not be the groups the checks saw",
                                dataset=name, fix="certify the current spec (datavet certify SPEC) and load the "
                                                  "new version, or load with recoded=False")
    return rules_of(loaded.spec)


def recode_frame(df: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """A copy of ``df`` with each ruled column recoded as the checks recode it (datavet.recode):
    values renamed, numbers put in their band; nulls stay null."""
    out = df.copy()
    for column, rule in rules.items():
        if column in out.columns:
            recoded = [recode_value(v, rule, column) for v in out[column].tolist()]
            out[column] = pd.Series(recoded, index=out.index, dtype=object)
    return out
