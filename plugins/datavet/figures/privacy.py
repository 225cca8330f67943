"""Moved to datavet.privacy.names (issue 19); kept so that imports from other branches keep working."""

from datavet.privacy.names import column_names, extend, opaque_names, rename

__all__ = ["column_names", "extend", "opaque_names", "rename"]
