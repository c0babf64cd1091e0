"""Fixtures for the TUI: an app on a temporary data dir, a fixed clock, and types with pluggable checks.

Types reach the app as a registry handed to ``TetherApp``: ``offline_types`` builds one whose types
never touch the network, and the fixtures below replace one type in it. Nothing patches a module.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.tui.tether_app import TetherApp
from connectors.registry import TypeRegistry, builtin_types
from connectors.types import IntegrationType
from tests.tui import plugins

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
# The registry the current test's app gets when the test does not name one (set by offline_types).
_test_types: list[TypeRegistry] = []


def minutes_ago(minutes: float) -> datetime:
    return NOW - timedelta(minutes=minutes)


def make_app(
    data_dir: Path, tmp_path: Path, keymap_path: Path | None = None, *, types: TypeRegistry | None = None
) -> TetherApp:
    types = types or (_test_types[-1] if _test_types else None)
    app = TetherApp(
        data_dir=data_dir, clock=lambda: NOW, keymap_path=keymap_path or tmp_path / "no-keymap.toml", types=types
    )
    app.animation_level = "none"
    # Keep what was said to the person, for assertions.
    app.notes = []  # type: ignore[attr-defined]
    original = app.notify

    def notify(message, *args, **kwargs):  # type: ignore[no-untyped-def]
        app.notes.append(str(message))  # type: ignore[attr-defined]
        return original(message, *args, **kwargs)

    app.notify = notify  # type: ignore[method-assign]
    return app


async def settle(pilot) -> None:  # type: ignore[no-untyped-def]
    """Let workers finish and the messages they post be handled (workers may start workers)."""
    for round_ in range(10):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if round_ >= 1 and not any(worker.is_running for worker in pilot.app.workers):
            return


@pytest.fixture
def keyring_store(memory_keyring, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """The OS keyring path: an in-process keyring, chosen explicitly."""
    monkeypatch.setenv("TETHER_SECRET_STORE", "keyring")
    return memory_keyring


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run the migrations once; each test starts from a copy (Alembic costs about a second)."""
    from storage.db import open_database
    from storage.paths import DATABASE_NAME

    path = tmp_path_factory.mktemp("template") / DATABASE_NAME
    open_database(path).dispose()
    return path


@pytest.fixture
def tui_data(isolated_environment: Path, migrated_database: Path) -> Path:
    """A data dir under the temporary HOME, so paths on screen read ~/tether-data and stay stable."""
    import shutil

    from storage.paths import DATABASE_NAME, ensure_data_dir

    data = ensure_data_dir(isolated_environment / "tether-data")
    shutil.copy2(migrated_database, data / DATABASE_NAME)
    return data


@pytest.fixture
def context(tui_data: Path, keyring_store, offline_types):  # type: ignore[no-untyped-def]
    from app.core.context import open_context

    return open_context(tui_data, offline_types)


@pytest.fixture
def app(tui_data: Path, tmp_path: Path, keyring_store, offline_types) -> TetherApp:  # type: ignore[no-untyped-def]
    return make_app(tui_data, tmp_path)


def _replace_type(types: TypeRegistry, key: str, **changes) -> IntegrationType:  # type: ignore[no-untyped-def]
    return types.register(dataclasses.replace(types.get(key), **changes))


@pytest.fixture
def offline_types() -> Iterator[TypeRegistry]:
    """No TUI test reaches the network: every type's check is ``plugins.offline_checker`` and no field
    lists choices, unless a test plugs in its own."""
    types = builtin_types()
    for spec in types:
        fields = tuple(dataclasses.replace(f, options_path=None) for f in spec.fields)
        _replace_type(types, spec.key, checker_path="tests.tui.plugins:offline_checker", fields=fields)
    _test_types.append(types)
    yield types
    _test_types.remove(types)


@pytest.fixture
def checkable_imap(offline_types: TypeRegistry) -> Iterator[IntegrationType]:
    plugins.CALLS.clear()
    yield _replace_type(offline_types, "imap", checker_path="tests.tui.plugins:password_checker")


@pytest.fixture
def caldav_with_options(offline_types: TypeRegistry) -> Iterator[IntegrationType]:
    plugins.CALLS.clear()
    spec = offline_types.get("caldav")
    fields = tuple(
        dataclasses.replace(f, options_path="tests.tui.plugins:list_calendars") if f.name == "calendars" else f
        for f in spec.fields
    )
    yield _replace_type(offline_types, "caldav", fields=fields)
