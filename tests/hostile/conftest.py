"""Fixtures for the hostile-text tests: a feed server publishing the hostile feed, a log directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hostile.payloads import hostile_feed
from tests.servers.feeds import FeedServer, start_feed_server
from tests.servers.tls import TestCA


@pytest.fixture
def hostile_feed_server(test_ca: TestCA) -> Iterator[FeedServer]:
    """HTTPS on loopback; /hostile.ics is the feed whose every shown field is hostile."""
    server = start_feed_server(test_ca.issue("hostile-feeds"), ca_file=test_ca.ca_file)
    server.publish("/hostile.ics", hostile_feed())
    yield server
    server.close()


@pytest.fixture
def log_dir(tmp_path: Path) -> Path:
    return tmp_path / "logs"


# The TUI tests start from the same migrated data directory and in-process keyring as tests/tui.
from tests.tui.conftest import keyring_store, migrated_database, tui_data  # noqa: E402, F401
