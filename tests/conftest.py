"""Shared test helpers: the framework, and the rule for tests that need software outside Python."""

from __future__ import annotations

import os
import shutil

import pytest

from qaf_kobo.framework import Framework, default_framework

REQUIRE_SYSTEM = os.environ.get("QAF_REQUIRE_SYSTEM_TESTS") == "1"


def require(available: bool, reason: str) -> None:
    """Skip the calling test with ``reason`` when something outside Python is not available; under
    QAF_REQUIRE_SYSTEM_TESTS=1 (set by .ci/run, which installs it all), fail instead."""
    if available:
        return
    if REQUIRE_SYSTEM:
        pytest.fail(f"QAF_REQUIRE_SYSTEM_TESTS=1 and this test {reason}")
    pytest.skip(reason)


def require_tool(*commands: str, why: str = "") -> None:
    """``require`` for commands on PATH (java, node, chromium, soffice)."""
    missing = [c for c in commands if shutil.which(c) is None]
    require(not missing, f"needs {', '.join(missing)} on PATH{': ' + why if why else ''}")


@pytest.fixture(scope="session")
def fw() -> Framework:
    """The shipped QAF framework."""
    return default_framework()
