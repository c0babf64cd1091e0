"""Fixtures for the calendar connector tests: the feed server and Radicale."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.servers.feeds import FeedServer, start_feed_server
from tests.servers.radicale import RadicaleServer, radicale_available, seed, start_radicale
from tests.servers.tls import TestCA
from tests.support import require_server


@pytest.fixture
def feed_server(test_ca: TestCA) -> Iterator[FeedServer]:
    server = start_feed_server(test_ca.issue("feeds"), ca_file=test_ca.ca_file)
    yield server
    server.close()


@pytest.fixture
def plain_feed_server() -> Iterator[FeedServer]:
    server = start_feed_server(None)
    yield server
    server.close()


def _require_radicale() -> None:
    require_server(radicale_available(), "Radicale", "pip install radicale")


@pytest.fixture
def radicale(test_ca: TestCA) -> Iterator[RadicaleServer]:
    """A fresh Radicale per test (about 0.15 s to start), seeded by the test itself."""
    _require_radicale()
    server = start_radicale(test_ca.issue("radicale"), test_ca.ca_file)
    yield server
    server.stop()


@pytest.fixture
def plain_radicale() -> Iterator[RadicaleServer]:
    """Radicale over plain HTTP, as some home servers still run."""
    _require_radicale()
    server = start_radicale(None)
    yield server
    server.stop()


@pytest.fixture
def fresh_seeded_radicale(radicale: RadicaleServer) -> tuple[RadicaleServer, dict[str, str]]:
    """For tests that change calendars."""
    return radicale, seed(radicale)


@pytest.fixture(scope="module")
def seeded_radicale(test_ca: TestCA) -> Iterator[tuple[RadicaleServer, dict[str, str]]]:
    """One seeded Radicale shared by a module's tests that only read."""
    _require_radicale()
    server = start_radicale(test_ca.issue("radicale"), test_ca.ca_file)
    yield server, seed(server)
    server.stop()
