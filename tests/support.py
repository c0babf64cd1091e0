"""Two helpers every test module uses the same way: requiring a server program, and waiting for a condition."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import pytest


def require_server(available: bool, name: str, install: str) -> None:
    """Skip a test whose server program is missing, or fail it under TETHER_REQUIRE_SERVERS=1 (CI must not skip)."""
    if available:
        return
    if os.environ.get("TETHER_REQUIRE_SERVERS") == "1":
        pytest.fail(f"{name} is not installed but TETHER_REQUIRE_SERVERS=1 requires it.")
    pytest.skip(f"{name} is not installed ({install}).")


def wait_until(
    condition: Callable[[], object], what: str, seconds: float = 30.0, *, shown: Callable[[], str] | None = None
) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` (and what ``shown`` says is on screen) if it never does.

    Generous by default: a loaded machine is slow, not wrong. Returns as soon as the condition holds.
    """
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(_never(what, seconds, shown))
        time.sleep(0.02)


async def pilot_wait_until(
    pilot: Any,
    condition: Callable[[], object],
    what: str,
    seconds: float = 30.0,
    *,
    shown: Callable[[], str] | None = None,
) -> None:
    """``wait_until`` for a Textual pilot: the app keeps running between polls, and repaints once it holds."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(_never(what, seconds, shown))
        await pilot.pause(0.02)
    await pilot.pause()  # let the screen repaint what the handler changed before anyone looks


def _never(what: str, seconds: float, shown: Callable[[], str] | None) -> str:
    return f"waited {seconds:g} s for {what}" + (f"; the screen shows:\n{shown()}" if shown else "")
