"""The latency a check records is the server's, not the time tether takes to load the checker."""

from __future__ import annotations

import importlib
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.checks import check_integration
from connectors.registry import TypeRegistry
from connectors.types import Category, IntegrationType
from storage.service import Storage
from tests.connectors.calendar_fixtures import feed_server  # noqa: F401 - fixture
from tests.servers.feeds import FeedServer

LOADING = 0.6  # seconds each module below takes to import, far above a check that asks nothing


def lazy_type(module: str, library: str) -> TypeRegistry:
    """A calendar type whose checker and event reader are ``module``'s, loading ``library`` when called."""
    spec = IntegrationType(
        "lazy",
        "Lazy",
        "Loads its client library on the first check or read.",
        Category.CALENDAR,
        (),
        checker_path=f"{module}:check",
        events_path=f"{module}:check",
        warm_imports=(library,),
    )
    return TypeRegistry([spec])


@pytest.fixture
def slow_modules(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A checker module and a library it imports inside its function, each slow to import.

    New names each time: a module imported by an earlier test would cost nothing here.
    """
    checker, library = f"checker_{uuid.uuid4().hex}", f"library_{uuid.uuid4().hex}"
    (tmp_path / f"{library}.py").write_text(f"import time\ntime.sleep({LOADING})\n")
    (tmp_path / f"{checker}.py").write_text(
        f"import time\ntime.sleep({LOADING})\n"
        "from connectors.types import CheckResult\n"
        "def check(request):\n"
        f"    import {library}\n"
        "    return CheckResult('All fine')\n"
    )
    sys.path.insert(0, str(tmp_path))
    yield checker, library
    sys.path.remove(str(tmp_path))


def test_the_first_check_in_a_process_does_not_count_loading_as_latency(
    storage: Storage, slow_modules: tuple[str, str]
) -> None:
    checker, library = slow_modules
    integration = storage.integrations.add("lazy", "Lazy", {}, {})
    types = lazy_type(checker, library)
    outcome = check_integration(storage.integrations, integration, types=types, metrics=storage.metrics)
    assert outcome.ok and checker in sys.modules and library in sys.modules
    health = storage.metrics.health(integration.id)
    assert health.requests == 1 and health.last_latency_ms is not None
    assert health.last_latency_ms < LOADING * 1000 / 2, health.last_latency_ms


def test_every_built_in_type_names_modules_it_can_load_ahead() -> None:
    """A misspelt name would only cost accuracy silently (the check still runs): caught here."""
    from connectors.registry import default_types

    for spec in default_types():
        assert spec.warm_imports, spec.key
        spec.warm_up()
        assert all(module in sys.modules for module in spec.warm_imports)


def test_the_first_workflow_call_does_not_count_loading_as_latency(
    storage: Storage, slow_modules: tuple[str, str]
) -> None:
    from collections.abc import Mapping

    from app.mcp.calls import ToolCall
    from app.mcp.scope import Scope

    reader, library = slow_modules
    integration = storage.integrations.add("lazy", "Lazy", {}, {})

    def read(secrets: Mapping[str, str], timeout: float) -> str:
        module = importlib.import_module(reader)  # as spec.load_event_reader() does
        return str(module.check(None).summary)

    call = ToolCall(storage, Scope(None), types=lazy_type(reader, library))
    assert call.run(integration, read, what="reading the events") == "All fine"
    latency = storage.metrics.health(integration.id).last_latency_ms
    assert latency is not None and latency < LOADING * 1000 / 2, latency


def test_a_connector_that_times_the_server_alone_is_believed(storage: Storage, tmp_path: Path) -> None:
    """A feed check reads the feed after the server answered: that reading is not the server's latency."""
    module = f"timed_{uuid.uuid4().hex}"
    (tmp_path / f"{module}.py").write_text(
        "import time\n"
        "from connectors.types import CheckResult\n"
        "def check(request):\n"
        "    time.sleep(0.4)  # the check's own work, after the answer came\n"
        "    return CheckResult('All fine', server_ms=12.5)\n"
    )
    sys.path.insert(0, str(tmp_path))
    try:
        integration = storage.integrations.add("lazy", "Lazy", {}, {})
        types = lazy_type(module, "json")
        assert check_integration(storage.integrations, integration, types=types, metrics=storage.metrics).ok
    finally:
        sys.path.remove(str(tmp_path))
    assert storage.metrics.health(integration.id).last_latency_ms == 12.5


def test_a_feed_check_reports_the_time_its_server_took(feed_server: FeedServer) -> None:  # noqa: F811
    import time

    from connectors.ical.check import check_feed
    from connectors.types import CheckRequest

    request = CheckRequest({"ca_file": str(feed_server.ca_file)}, {"url": feed_server.url("/team.ics")}, {})
    started = time.perf_counter()
    result = check_feed(request)
    whole_ms = (time.perf_counter() - started) * 1000
    assert result.server_ms is not None and 0 < result.server_ms < whole_ms
    unchanged = check_feed(CheckRequest(request.settings, request.secrets, result.state))
    assert unchanged.summary.endswith("(unchanged)") and unchanged.server_ms is not None
