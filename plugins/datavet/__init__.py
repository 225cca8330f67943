"""datavet: version, check, document and certify datasets before anyone trains on them.

The core (spec, ingest, figures, datasheets, certificates) imports neither Airflow nor, where it
need not, Great Expectations; the Airflow layer lives in ``datavet.airflow``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from datavet.consume_files import CertifiedFiles


def load_certified(name: str, version: str | int | None = None, **kwargs: Any) -> pd.DataFrame:
    """Return a certified version of dataset ``name`` (lazy import keeps ``import datavet`` light)."""
    from datavet.consume import load_certified as _load

    return _load(name, version=version, **kwargs)


def open_certified(name: str, version: str | int | None = None, **kwargs: Any) -> CertifiedFiles:
    """Check out a certified tree of files (every file md5-verified) with its label table."""
    from datavet.consume_files import open_certified as _open

    return _open(name, version=version, **kwargs)


__all__ = ["__version__", "load_certified", "open_certified"]
