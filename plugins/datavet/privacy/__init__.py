"""The disclosure-control layer: the only code that decides what leaves the process.

- ``rule``: the one meaning of a small cell (a count of 1..k-1; 0 stays 0);
- ``tables``: the cells and relations the check types declare for what they publish;
- ``suppress`` and ``audit``: primary and complementary suppression, and the linear-programming
  audit that fails closed (``PrivacyError``) when a small cell could still be narrowed down;
- ``publish``: the decision applied to a check report (every surface publishes that form);
- ``names`` and ``masking``: opaque names for the values of identifying or sensitive columns;
- ``gx``: what is withheld from a stored GX validation result.
"""

from datavet.privacy.publish import publish_report, publish_result
from datavet.privacy.rule import COMPLEMENTARY, is_small, is_withheld, shown, small_note

__all__ = ["COMPLEMENTARY", "is_small", "is_withheld", "publish_report", "publish_result", "shown", "small_note"]
