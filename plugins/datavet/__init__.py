"""datavet: version, check, document and certify datasets before anyone trains on them.

The core (spec, ingest, figures, datasheets, certificates) imports neither Airflow nor, where it
need not, Great Expectations; the Airflow layer lives in ``datavet.airflow``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


def load_certified(name: str, version: str | int | None = None, **kwargs: Any) -> pd.DataFrame:
    """Return a certified version of dataset ``name`` (lazy import keeps ``import datavet`` light)."""
    from datavet.consume import load_certified as _load

    return _load(name, version=version, **kwargs)


__all__ = ["__version__", "load_certified"]
