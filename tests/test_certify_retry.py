"""A certify retry of the same run must still finish its work (emit the Asset event), while any
other run of an already-certified version is a no-op: the certificate records who certified it."""

from __future__ import annotations

from datavet.pipeline import certify, document, validate, version
from datavet.settings import Settings
from datavet.spec import load_spec


def test_certificate_records_the_certifying_run(adult_project):
    loaded = load_spec(adult_project)
    settings = Settings.from_env(adult_project.parents[2])
    info = version(loaded, settings)
    validate(loaded, settings, info.md5)
    document(loaded, settings, info.md5)
    run = "airflow:datavet_certify_adult/manual__1"
    cert, created = certify(loaded, settings, info.md5, certified_by=run)
    assert created and cert.certified_by == run
    retry, created_again = certify(loaded, settings, info.md5, certified_by=run)
    assert not created_again and retry.certified_by == run  # the operator emits the event for this run
    other, _ = certify(loaded, settings, info.md5, certified_by="airflow:datavet_certify_adult/manual__2")
    assert other.certified_by == run  # a different run sees someone else's certificate: it skips
