"""Waiting for something to happen in another thread or process: polled, with a generous bound that is never an
expectation of speed (a test fails on a timeout only when the awaited thing never happened)."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

TIMEOUT = 60.0


def eventually(
    condition: Callable[[], bool], what: str, detail: Callable[[], str] = str, timeout: float = TIMEOUT
) -> None:
    """Poll `condition` until it holds; fail after `timeout` seconds naming what never happened (and `detail()`)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what} {detail()}".rstrip())
        time.sleep(0.05)
