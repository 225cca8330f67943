"""Moved to datavet.privacy (issue 19); kept so that imports from other branches keep working."""

from datavet.privacy.publish import publish_report, publish_result
from datavet.privacy.rule import is_small, shown, small_note

__all__ = ["is_small", "publish_report", "publish_result", "shown", "small_note"]
