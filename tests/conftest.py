"""Shared fixtures: prerequisites that pip cannot install, and the test clock.

Browser tests need Debian Chromium, Spark tests a Java 17 runtime; ``make test`` installs
both when run as root. Elsewhere their tests are skipped with a reason, except in CI
(``CI=true``), where a missing prerequisite is a failure, never a skip.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pandas as pd
import pytest

#: Reference time for "in the future" checks, so that tests never depend on the clock.
NOW = pd.Timestamp("2022-12-31T00:00:00Z")

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def _missing(what: str, hint: str) -> None:
    message = f"{what} is not installed: {hint} (make test installs it when run as root)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true: {message}")
    pytest.skip(message)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Path of Debian's Chromium, for Playwright's ``executable_path``."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        _missing("Debian chromium", "apt-get install chromium")
    return str(path)


@pytest.fixture(scope="session")
def java_home() -> str:
    """JAVA_HOME of a Java 17 (or newer) runtime, for PySpark."""
    java = shutil.which("java")
    if java is None:
        _missing("Java 17", "apt-get install openjdk-17-jre-headless")
    out = subprocess.run([java, "-version"], capture_output=True, text=True).stderr
    match = re.search(r'version "(\d+)', out)
    if not match or int(match.group(1)) < 17:
        _missing("Java 17", f"found {out.splitlines()[0] if out else 'no version'}")
    return os.path.dirname(os.path.dirname(os.path.realpath(java)))


@pytest.fixture()
def browser_page(chromium_path: str):
    """A Playwright page in headless Debian Chromium that records failed requests and errors.

    ``page.failed_requests`` lists URLs that failed or went to the network (any
    ``http(s)://`` request is aborted: generated pages must work offline);
    ``page.page_errors`` lists uncaught script errors.
    """
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, headless=True,
                                     args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.failed_requests = []  # type: ignore[attr-defined]
        page.page_errors = []  # type: ignore[attr-defined]

        def block_network(route):
            page.failed_requests.append(route.request.url)
            route.abort()

        page.route(re.compile(r"^https?://"), block_network)
        page.on("requestfailed", lambda r: page.failed_requests.append(r.url))
        page.on("pageerror", lambda e: page.page_errors.append(str(e)))
        yield page
        browser.close()


@pytest.fixture(scope="session")
def spark(java_home: str):
    """One local SparkSession for the whole test run (2 cores, 1 GB driver, UTC)."""
    try:
        import pyspark  # noqa: F401

        from tracelab.spark import session
    except ImportError:
        _missing("PySpark", "pip install -e '.[dev,spark]'")
    os.environ.setdefault("JAVA_HOME", java_home)
    spark = session("local[2]", driver_memory="1g",
                    conf={"spark.sql.shuffle.partitions": 4})
    spark.sparkContext.setLogLevel("ERROR")
    yield spark
    spark.stop()
