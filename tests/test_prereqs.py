"""The prerequisites pip cannot install work: Chromium renders offline, Java 17 runs."""

from __future__ import annotations

import subprocess

import pytest


@pytest.mark.browser
def test_chromium_renders_a_local_page_offline(browser_page, tmp_path):
    page = tmp_path / "page.html"
    page.write_text(
        "<html><body><div id='out'></div><script>"
        "document.getElementById('out').textContent = '芦溪县 ' + (6 * 7);"
        "</script></body></html>", encoding="utf-8")
    browser_page.goto(page.as_uri())
    assert browser_page.text_content("#out") == "芦溪县 42"
    assert browser_page.failed_requests == []
    assert browser_page.page_errors == []


@pytest.mark.spark
def test_java_17_runs(java_home):
    out = subprocess.run([f"{java_home}/bin/java", "-version"], capture_output=True, text=True)
    assert out.returncode == 0
    assert "version" in out.stderr
