"""Moved to datavet.privacy.masking (issue 19); kept so that imports from other branches keep working."""

from datavet.privacy.masking import ValueMasker, mask_values, publish_count, publish_share, scrub_text
from datavet.privacy.rule import is_small

__all__ = ["ValueMasker", "is_small", "mask_values", "publish_count", "publish_share", "scrub_text"]
