"""Shared test helpers: the framework, and the rule for tests that need software outside Python."""

from __future__ import annotations

import os
import shutil

import pytest

from qaf_kobo.framework import Framework, default_framework

REQUIRE_SYSTEM = os.environ.get("QAF_REQUIRE_SYSTEM_TESTS") == "1"


def require_tool(*commands: str, why: str = "") -> None:
    """Skip the calling test (with the reason) when a command is missing; under QAF_REQUIRE_SYSTEM_TESTS=1, fail."""
    missing = [c for c in commands if shutil.which(c) is None]
    if not missing:
        return
    reason = f"needs {', '.join(missing)} on PATH{': ' + why if why else ''}"
    if REQUIRE_SYSTEM:
        pytest.fail(f"QAF_REQUIRE_SYSTEM_TESTS=1 and this test {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def fw() -> Framework:
    """The shipped QAF framework."""
    return default_framework()
