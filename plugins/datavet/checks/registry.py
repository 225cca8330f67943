"""The one table of check types. The spec's ``checks:`` block, the suite builder, results, report,
publish, DVC metrics, the datasheet's sections, Croissant and changes all loop over it: adding a check
type is adding a module and a line here. A check type without a publish rule cannot be registered:
privacy fails closed."""

from __future__ import annotations

from typing import Any

from datavet.checks.audio_quality import AudioQuality
from datavet.checks.base import CheckType
from datavet.checks.drift import Drift
from datavet.checks.files import Files
from datavet.checks.geography import Geography
from datavet.checks.image_quality import ImageQuality
from datavet.checks.intersectional import Intersectional
from datavet.checks.label_balance import LabelBalance
from datavet.checks.leakage import Leakage
from datavet.checks.missingness import Missingness
from datavet.checks.missingness_parity import MissingnessParity
from datavet.checks.proxy import Proxy
from datavet.checks.representation import Representation
from datavet.checks.split_shift import SplitShift
from datavet.checks.text_quality import TextQuality

CHECKS: dict[str, CheckType] = {}
HAND_ADDED = "gx_expectation"  # the report's name for a built-in GX expectation a person added by hand


def register(check: CheckType) -> CheckType:
    """Add a check type to the table; refuse one that would publish its figures unsuppressed."""
    if not check.name or check.name in CHECKS or check.name == HAND_ADDED:
        raise ValueError(f"check type name {check.name!r} is empty or taken")
    if type(check).declare is CheckType.declare:
        raise TypeError(f"check type {check.name!r} declares no published tables: say which cells its figures "
                        "give away (CheckType.declare) before it can be registered")
    if check.in_gx and (not check.expectation_type or not check.expectation_module):
        raise TypeError(f"check type {check.name!r} names no GX expectation")
    CHECKS[check.name] = check
    return check


for _check in (Missingness(), MissingnessParity(), Representation(), Intersectional(), Geography(), LabelBalance(),
               Files(), Proxy(), Drift(), ImageQuality(),
               Leakage(), SplitShift(), AudioQuality(), TextQuality()):
    register(_check)


# The order in which check types contribute to the published documents (the datasheet's computed
# sections and charts, Croissant's measured skews, the changes section); check types not named here
# follow in registration order.
SECTION_ORDER = ("missingness", "representation", "label_balance", "missingness_parity", "geography",
                 "intersectional", "proxy")


def sections() -> list[CheckType]:
    """Every registered check type in ``SECTION_ORDER``."""
    named = [CHECKS[name] for name in SECTION_ORDER if name in CHECKS]
    return named + [check for name, check in CHECKS.items() if name not in SECTION_ORDER]


def check_type(name: str) -> CheckType | None:
    return CHECKS.get(name)


def reads_image_content(checks: Any) -> bool:
    """Whether any check the spec's ``checks:`` block sets reads image content facts (the files source
    decodes for them only then: pHash and the rest cost more than the decode itself)."""
    return any(check.reads_image_content and check.spec_key and getattr(checks, check.spec_key, None)
               for check in CHECKS.values())


def reads_audio_content(checks: Any) -> bool:
    """Whether any check the spec's ``checks:`` block sets reads audio content facts (the files source
    decodes audio for them only then)."""
    return any(check.reads_audio_content and check.spec_key and getattr(checks, check.spec_key, None)
               for check in CHECKS.values())


def reads_text_content(checks: Any) -> bool:
    """Whether any check reads the text files of a tree (the files source reads them for it only then)."""
    return any(check.reads_text_files(checks) for check in CHECKS.values() if check.spec_key
               and getattr(checks, check.spec_key, None))


def with_version_checks(loaded: Any, facts: dict[str, Any], report: Any) -> Any:
    """``report`` with the results of the checks computed from the version's own ``facts`` (first),
    its success recomputed: the same decision rule as for the GX checks."""
    extra = [r for check in CHECKS.values() if not check.in_gx for r in check.evaluate(loaded.spec.checks, facts)]
    if not extra:
        return report
    checks = [*extra, *report.checks]
    return report.model_copy(update={"checks": checks,
                                     "success": all(c.success for c in checks if c.severity == "error")})
