"""The integrations list: empty state, filter, detail pane, checks and deleting."""

from __future__ import annotations

from storage.records import Access, LinkSpec, Role, Status
from tests.support import pilot_wait_until
from tests.tui.conftest import minutes_ago, settle
from tests.tui.helpers import table_text, type_into
from widgets.integration_table import IntegrationTable


def seed(context) -> dict[str, int]:  # type: ignore[no-untyped-def]
    repo = context.storage.integrations
    mail = repo.add(
        "imap",
        "Work mail",
        {"username": "me@example.com", "host": "imap.example.com", "tls_mode": "implicit", "port": 993},
        {"password": "s3cret-pw"},
    )
    feed = repo.add("ical", "Team calendar", {}, {"url": "https://cal.example.com/team.ics?token=abc"})
    home = repo.add(
        "imap",
        "Home mail",
        {"username": "me@home.example", "host": "mail.home.example", "tls_mode": "starttls", "port": 143},
        {"password": "other-pw"},
    )
    repo.set_status(home.id, Status.ERROR, "Sign-in failed: wrong password.", checked_at=minutes_ago(3))
    repo.set_status(mail.id, Status.CONNECTED, "", checked_at=minutes_ago(90), summary="INBOX 4 messages")
    return {"mail": mail.id, "feed": feed.id, "home": home.id}


async def test_empty_list_says_what_to_do_first(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "Press n to connect your first account" in table_text(pilot)
        detail = str(app.screen.query_one("#detail-text").render())
        assert "Secrets are kept in the OS keyring" in detail and app.context.secrets.reason in detail
        screen = app.screen
        assert screen.check_action("delete", ()) is None  # shown dimmed: nothing to delete
        assert screen.check_action("edit", ()) is None
        assert screen.check_action("new", ()) is True


async def test_rows_show_status_marker_time_and_use_count(app, context):
    ids = seed(context)
    context.storage.workflows.add("Digest", links=[LinkSpec(ids["mail"], Role.SOURCE, Access.READ)])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        text = table_text(pilot)
        home_line = next(line for line in text.splitlines() if "Home mail" in line)
        assert "✖ error" in home_line and "3 min ago" in home_line
        work_line = next(line for line in text.splitlines() if "Work mail" in line)
        assert "● connected" in work_line and "1 h ago" in work_line and " 1 " in work_line + " "
        feed_line = next(line for line in text.splitlines() if "Team calendar" in line)
        assert "○ not checked" in feed_line and "never" in feed_line


async def test_filter_by_label_type_or_status_as_you_type(app, context):
    seed(context)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(IntegrationTable)
        await pilot.press("slash")
        await type_into(pilot, "#filter", "mail")
        assert table.shown_labels() == ["Home mail", "Work mail"]
        await type_into(pilot, "#filter", "ical")
        assert table.shown_labels() == ["Team calendar"]
        await type_into(pilot, "#filter", "error")
        assert table.shown_labels() == ["Home mail"]
        await type_into(pilot, "#filter", "nothing-like-this")
        assert table.shown_labels() == []
        assert "Nothing matches" in table_text(pilot)
        await pilot.press("escape")
        assert table.shown_count == 3
        assert table.has_focus


async def test_detail_shows_settings_and_workflows_but_no_secret(app, context):
    ids = seed(context)
    context.storage.workflows.add(
        "Digest", schedule="daily 07:00", links=[LinkSpec(ids["home"], Role.SOURCE, Access.READ)]
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.screen.query_one(IntegrationTable).selected.label == "Home mail"
        detail = str(app.screen.query_one("#detail-text").render())
        assert "mail.home.example" in detail
        assert "Sign-in failed: wrong password." in detail
        assert "Digest (source, read, daily 07:00)" in detail
        assert "Password  stored" in detail
        # The most useful lines first: the error right under the name, settings last.
        assert detail.index("Sign-in failed") < detail.index("Digest") < detail.index("mail.home.example")
        assert "other-pw" not in detail
        await pilot.press("down", "down")
        detail = str(app.screen.query_one("#detail-text").render())
        assert "Work mail" in detail and "INBOX 4 messages" in detail and "s3cret-pw" not in detail


async def test_check_now_runs_the_types_checker(app, context, checkable_imap):
    seed(context)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(IntegrationTable)
        assert table.selected.label == "Home mail"
        await pilot.press("r")
        await settle(pilot)
        # other-pw is not the password the checker accepts
        assert table.selected.status is Status.ERROR
        assert "rejected the username or password" in table.selected.status_detail
        context.storage.integrations.update(table.selected.id, secrets={"password": "right-password"})
        await pilot.press("r")
        await settle(pilot)
        assert table.selected.status is Status.CONNECTED
        assert context.storage.integrations.find("Home mail").check_summary == "INBOX 12 messages, 3 unread"


async def test_delete_lists_workflows_cancel_keeps_it(app, context):
    ids = seed(context)
    context.storage.workflows.add(
        "Digest", schedule="daily 07:00", links=[LinkSpec(ids["home"], Role.SOURCE, Access.READ)]
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await pilot.pause()
        dialog = app.screen
        assert type(dialog).__name__ == "ConfirmDeleteScreen"
        text = str(dialog.query_one("#delete-consequences").render())
        assert "Digest" in text and "source, read, daily 07:00" in text and "it was lost" in text
        assert dialog.focused.id == "cancel"
        await pilot.press("enter")
        await settle(pilot)
        assert "Home mail" in context.storage.integrations.labels()
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("escape")
        await settle(pilot)
        assert "Home mail" in context.storage.integrations.labels()


async def test_delete_with_workflow_marks_the_workflow(app, context):
    ids = seed(context)
    context.storage.workflows.add("Digest", links=[LinkSpec(ids["home"], Role.SOURCE, Access.READ)])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("tab", "enter")
        await settle(pilot)
        assert "Home mail" not in context.storage.integrations.labels()
        assert "Home mail" not in app.screen.query_one(IntegrationTable).all_labels()
        assert context.storage.workflows.find("Digest").missing_labels == ["Home mail"]
        await pilot.press("w")
        await settle(pilot)
        links = str(app.screen.query_one("#workflow-links").render())
        assert "Home mail" in links and "was deleted" in links


async def test_delete_without_workflows_still_confirms(app, context):
    seed(context)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("down")
        await pilot.press("d")
        await pilot.pause()
        assert "No workflow uses it" in str(app.screen.query_one("#delete-consequences").render())
        await pilot.press("tab", "enter")
        await settle(pilot)
        assert context.storage.integrations.labels() == {"Home mail", "Work mail"}


async def test_a_database_tether_cannot_use_is_explained_not_crashed(app, tui_data):
    (tui_data / "tether.db").write_bytes(b"this is not a database at all, just text" * 4)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        text = " ".join(table_text(pilot).split())
        assert "is not a tether database" in text and "Move it away" in text
        assert app.context is None
        assert app.screen.check_action("delete", ()) is None


async def test_a_key_pressed_while_storage_still_opens_runs_once_it_is_open(app, context, monkeypatch):
    import threading

    import app.core.context as context_module

    seed(context)
    may_open = threading.Event()
    real_open = context_module.open_context

    def slow_open(*args, **kwargs):  # type: ignore[no-untyped-def]
        may_open.wait(30)  # a keyring probe or a slow disk: the rows of the first look are up meanwhile
        return real_open(*args, **kwargs)

    monkeypatch.setattr(context_module, "open_context", slow_open)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot_wait_until(pilot, lambda: "Home mail" in table_text(pilot), "the rows of the first look")
        assert app.context is None
        await pilot.press("r")
        await pilot.pause()
        assert any("still opening its data directory" in note for note in app.notes)
        may_open.set()
        table = app.screen.query_one(IntegrationTable)
        await pilot_wait_until(pilot, lambda: table.selected.status is Status.CONNECTED, "the check pressed early")
        assert context.storage.integrations.find("Home mail").check_summary == "Checked offline; no server was asked"


async def test_a_key_after_storage_failed_to_open_says_why(app, tui_data):
    (tui_data / "tether.db").write_bytes(b"this is not a database at all, just text" * 4)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("w")
        await pilot.pause()
        assert any("is not a tether database" in note for note in app.notes)
        assert type(app.screen).__name__ == "IntegrationsScreen"


async def test_check_all_on_an_empty_list_says_what_to_do_first(app):
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)
        shown = [notification.message for notification in app._notifications]
        assert shown == ["Nothing to check: there is no integration yet; press n to add one."]


async def test_check_all_with_every_integration_disabled_says_so(app, context):
    ids = seed(context)
    for integration_id in ids.values():
        context.storage.integrations.set_status(integration_id, Status.DISABLED)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)
        shown = [notification.message for notification in app._notifications]
        assert shown == ["Nothing to check: every integration is disabled."]
