"""Health in the TUI: background re-checks, R (check all), x (disable/enable), "Disable instead", metrics in the detail."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.scheduler import HealthScheduler
from screens.passphrase import PassphraseScreen
from storage.records import Access, LinkSpec, Role, Status
from tests.connectors.calendar_fixtures import plain_feed_server  # noqa: F401 - fixture
from tests.servers.feeds import FeedServer, sample_feed
from tests.support import pilot_wait_until
from tests.tui.conftest import keyring_store, make_app, migrated_database, settle, tui_data  # noqa: F401 - fixtures
from widgets.integration_detail import IntegrationDetail
from widgets.integration_table import IntegrationTable

pytestmark = pytest.mark.realserver


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def context(tui_data: Path, keyring_store):  # type: ignore[no-untyped-def] # noqa: F811
    from app.core.context import open_context

    return open_context(tui_data)


def detail_text(app) -> str:  # type: ignore[no-untyped-def]
    return str(app.main_screen.query_one(IntegrationDetail).query_one("#detail-text").render())


def row_status(app, label: str) -> Status:  # type: ignore[no-untyped-def]
    table = app.main_screen.query_one(IntegrationTable)
    return next(item for item in table.integrations() if item.label == label).status


def rows_drawn(app) -> list[Status]:  # type: ignore[no-untyped-def]
    """Every status the list draws from now on, in order (the App tells the list; the list draws)."""
    table = app.main_screen.query_one(IntegrationTable)
    drawn: list[Status] = []
    draw = table.update_integration

    def update_integration(integration):  # type: ignore[no-untyped-def]
        drawn.append(integration.status)
        draw(integration)

    table.update_integration = update_integration
    return drawn


async def test_background_checks_turn_a_row_to_error_and_back_without_a_key(
    tui_data: Path,
    tmp_path: Path,
    context,
    plain_feed_server: FeedServer,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def] # noqa: F811
) -> None:
    monkeypatch.setenv("TETHER_CHECK_INTERVAL", "60")
    url = plain_feed_server.publish("/live.ics", sample_feed(name="Live"))
    context.storage.integrations.add("ical", "Live", {}, {"url": url})
    app = make_app(tui_data, tmp_path)
    clock = Clock()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.health_scheduler is not None and app.health_scheduler.interval == 60
        app.health_scheduler = HealthScheduler(interval=60, backoff_base=10, clock=clock, rng=lambda: 0.0)
        drawn = rows_drawn(app)
        app.health_tick()
        await settle(pilot)
        assert drawn == [Status.CHECKING, Status.CONNECTED]  # the row says so while the check runs
        assert row_status(app, "Live") is Status.CONNECTED
        # The health figures are read after the status is drawn: wait for them, however loaded the machine.
        await pilot_wait_until(pilot, lambda: "1 request, 0 errors (0%)" in detail_text(app), "the health line")

        del plain_feed_server.feeds["/live.ics"]  # the server stops serving it
        clock.now += 59
        app.health_tick()
        await settle(pilot)
        assert row_status(app, "Live") is Status.CONNECTED  # not due yet
        clock.now += 1
        app.health_tick()
        await settle(pilot)
        assert row_status(app, "Live") is Status.ERROR
        await pilot_wait_until(
            pilot,
            lambda: "Last error (just now): The feed URL is wrong or was revoked" in detail_text(app),
            "the last error in the health line",
        )

        plain_feed_server.publish("/live.ics", sample_feed(name="Live"))
        clock.now += 4.9  # failing: re-checked after the backoff (10 s, half of it with no jitter)
        app.health_tick()
        await settle(pilot)
        assert row_status(app, "Live") is Status.ERROR
        clock.now += 0.2
        app.health_tick()
        await settle(pilot)
        assert row_status(app, "Live") is Status.CONNECTED
    assert plain_feed_server.hits["/live.ics"] == 3


async def test_check_all_updates_every_row_and_opens_the_breaker_of_a_failing_one(
    tui_data: Path,
    tmp_path: Path,
    context,
    plain_feed_server: FeedServer,  # type: ignore[no-untyped-def] # noqa: F811
) -> None:
    repo = context.storage.integrations
    for name in ("One", "Two"):
        repo.add("ical", name, {}, {"url": plain_feed_server.publish(f"/{name}.ics", sample_feed(name=name))})
    repo.add("ical", "Gone", {}, {"url": plain_feed_server.url("/missing.ics")})
    app = make_app(tui_data, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        for _ in range(3):
            await pilot.press("R")
            await settle(pilot)
        assert [row_status(app, name) for name in ("One", "Two", "Gone")] == [
            Status.CONNECTED,
            Status.CONNECTED,
            Status.ERROR,
        ]
        app.main_screen.query_one(IntegrationTable).select_label("Gone")
        await settle(pilot)
        text = detail_text(app)
        assert "3 requests, 3 errors (100%)" in text
        assert "Circuit open (calls fail fast) since just now, after 3 failures" in text


async def test_x_disables_and_enables_and_disabled_ones_are_skipped(
    tui_data: Path,
    tmp_path: Path,
    context,
    plain_feed_server: FeedServer,  # type: ignore[no-untyped-def] # noqa: F811
) -> None:
    repo = context.storage.integrations
    item = repo.add("ical", "Team", {}, {"url": plain_feed_server.url("/team.ics")})
    context.storage.workflows.add("Digest", links=[LinkSpec(item.id, Role.SOURCE, Access.READ)])
    app = make_app(tui_data, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        assert repo.get(item.id).status is Status.DISABLED and row_status(app, "Team") is Status.DISABLED
        assert any("Disabled 'Team'" in note and "1 workflow cannot run" in note for note in app.notes)
        assert "Press x to enable it" in detail_text(app)
        await pilot.press("R")
        await settle(pilot)
        assert plain_feed_server.hits["/team.ics"] == 0
        await pilot.press("x")
        await settle(pilot)
        assert repo.get(item.id).status is Status.NOT_CHECKED
        assert repo.get(item.id).settings == {} and repo.read_secrets(repo.get(item.id))["url"].endswith("/team.ics")


async def test_delete_dialog_offers_disable_instead(tui_data: Path, tmp_path: Path, context) -> None:  # type: ignore[no-untyped-def]
    repo = context.storage.integrations
    item = repo.add("ical", "Team", {}, {"url": "https://example.invalid/team.ics"})
    app = make_app(tui_data, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        await pilot.click("#disable")
        await settle(pilot)
        assert repo.get(item.id).status is Status.DISABLED  # still there, with its secret
        assert repo.read_secrets(repo.get(item.id)) == {"url": "https://example.invalid/team.ics"}
        assert app.main_screen.check_action("toggle_disabled", ()) is True


async def test_background_checks_unlock_the_vault_only_with_a_passphrase_command(
    tui_data: Path,
    tmp_path: Path,
    plain_feed_server: FeedServer,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def] # noqa: F811
) -> None:
    from storage.secrets.vault import VaultStore
    from storage.service import open_storage
    from tests.conftest import TEST_PASSPHRASE

    vault = VaultStore(tui_data / "secrets.vault")
    vault.create(TEST_PASSPHRASE)
    open_storage(tui_data, vault).integrations.add("ical", "Locked", {}, {"url": plain_feed_server.url("/team.ics")})
    monkeypatch.setenv("TETHER_CHECK_INTERVAL", "60")
    for command, expected in ((None, Status.NOT_CHECKED), (f"printf '%s' '{TEST_PASSPHRASE}'", Status.CONNECTED)):
        if command:
            monkeypatch.setenv("TETHER_PASSPHRASE_COMMAND", command)
        app = make_app(tui_data, tmp_path)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            assert app.secrets_locked()
            app.health_scheduler = HealthScheduler(interval=60, clock=Clock())
            app.health_tick()  # never a prompt: without a command, it waits for the person to unlock
            await settle(pilot)
            app.health_scheduler.request([1])
            app.health_tick()
            await settle(pilot)
            assert row_status(app, "Locked") is expected
            assert not isinstance(app.screen, PassphraseScreen)


async def test_workflows_do_not_offer_a_disabled_integration_and_say_why_they_cannot_run(
    tui_data: Path,
    tmp_path: Path,
    context,  # type: ignore[no-untyped-def]
) -> None:
    from screens.pick import PickScreen
    from screens.workflows import WorkflowsScreen, links_content

    repo = context.storage.integrations
    used = repo.add("ical", "Used", {}, {"url": "https://example.invalid/a.ics"})
    repo.add("ical", "Spare", {}, {"url": "https://example.invalid/b.ics"})
    workflow = context.storage.workflows.add("Digest", links=[LinkSpec(used.id, Role.SOURCE, Access.READ)])
    repo.set_status(used.id, Status.DISABLED)
    repo.set_status(repo.find("Spare").id, Status.DISABLED)
    assert "cannot run until it is enabled" in str(links_content(context.storage.workflows.get(workflow.id)))
    app = make_app(tui_data, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)
        assert isinstance(app.screen, WorkflowsScreen)
        await pilot.press("a")
        await settle(pilot)
        assert not isinstance(app.screen, PickScreen)
        assert any("Every integration is disabled" in note for note in app.notes)
