"""Collection rules for the whole tree (the doctests in tracelab/ included)."""

from __future__ import annotations

import os
import shutil

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the Spark modules' doctests where Java is missing, except in CI (which has it)."""
    if shutil.which("java") or os.environ.get("CI"):
        return
    skip = pytest.mark.skip(reason="Spark doctests need Java 17: apt-get install "
                            "openjdk-17-jre-headless (CI installs it and runs them)")
    for item in items:
        if isinstance(item, pytest.DoctestItem) and "spark" in item.nodeid.split("::")[0]:
            item.add_marker(skip)
