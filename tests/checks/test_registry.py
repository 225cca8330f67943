"""The check seam: one registry table, privacy fails closed, and a check's name lives in its module."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from datavet.checks.base import CheckType
from datavet.checks.registry import CHECKS, register
from datavet.spec import ChecksSpec

PACKAGE = Path(__file__).resolve().parents[2] / "plugins" / "datavet"


class _NoPublishRule(CheckType):
    name = "no_publish_rule"
    expectation_type = "expect_column_values_to_not_be_null"
    expectation_module = "great_expectations.expectations.core"


class _WithPublishRule(_NoPublishRule):
    name = "missingness"  # taken

    def publish(self, p) -> None:
        p.counts("counts")


def test_a_check_type_without_a_publish_rule_cannot_be_registered():
    with pytest.raises(TypeError, match="declares no published tables"):
        register(_NoPublishRule())
    assert "no_publish_rule" not in CHECKS


def test_a_check_name_is_registered_once():
    with pytest.raises(ValueError, match="taken"):
        register(_WithPublishRule())


def test_the_spec_checks_block_is_the_registry():
    keys = {c.spec_key for c in CHECKS.values() if c.spec_key}
    assert set(ChecksSpec.model_fields) == keys
    assert list(CHECKS) == ["missingness", "missingness_parity", "representation", "intersectional", "geography",
                            "label_balance", "files", "proxy", "drift", "image_quality",
                            "leakage", "split_shift", "audio_quality", "text_quality"]


def test_code_outside_checks_names_no_check_type():
    """Outside datavet/checks/, code that picks results or rules by check type uses the module's NAME
    constant or the registry, never the name as a literal. (Column roles such as ``geography`` and the
    datasheet's section names are other vocabularies and are not matched.)"""
    picks = [r"check\W[^#]*{q}", r"\.of\({q}", r"_shifts\({q}", r"{q}\s*:\s*_"]
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if "checks" in path.relative_to(PACKAGE).parts[:1]:
            continue
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            for name in CHECKS:
                q = rf"[\"']{name}[\"']"
                if any(re.search(pick.format(q=q), code) for pick in picks):
                    offenders.append(f"{path.relative_to(PACKAGE)}:{lineno}: {line.strip()}")
    assert offenders == []
