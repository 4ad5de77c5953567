"""Headless Chromium for the tests that open pages (the served API docs): the command line, with the network
closed to every host but this machine when asked."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)
# Every host name fails to resolve except the loopback address: a page that needs a CDN cannot reach it.
OFFLINE = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"


def chromium_command(profile: Path) -> list[str]:
    """Chromium's command line; skipped when it is missing, unless CI is set (then it fails)."""
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (apt-get install -y chromium)")
        pytest.skip("chromium is not installed (apt-get install -y chromium); set CI to make this a failure")
    return [binary, *FLAGS, f"--user-data-dir={profile}"]


def rendered_dom(chromium: list[str], url: str, *, offline: bool) -> str:
    """The page's DOM once its scripts have run (virtual time lets them finish before the dump)."""
    network = [OFFLINE] if offline else []
    command = [*chromium, *network, "--virtual-time-budget=20000", "--dump-dom", url]
    # The timeout only stops a hung browser from hanging the suite; nothing is asserted about time.
    browser = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert browser.returncode == 0, browser.stderr
    return browser.stdout
