"""Fixtures for the calendar connector tests: the feed server (and its TLS variants)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.servers.feeds import FeedServer, start_feed_server
from tests.servers.tls import TestCA


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
