"""The data registry: a git + DVC repository holding certified versions, their documents and tags.

This package is the only code that spells the registry's layout, its tag format and its certificate:
``repo`` (the repository and its lock), ``store`` (what is certified), ``dvctree`` (DVC's object
layout), ``tree_version`` (file-tree versions), ``history``, ``verify``, ``fingerprint`` (the rules a
version is certified under), ``certificate`` and ``runlog`` (the last run's outcome per dataset).
"""

from datavet.registry.repo import Registry

__all__ = ["Registry"]
