"""The list screen is the only writer of its table and detail pane; R and x are its keys."""

from __future__ import annotations

from app.core.health import record_outcome
from storage.records import Status
from tests.support import pilot_wait_until
from tests.tui.conftest import settle

SETTINGS = {"username": "me@example.com", "host": "imap.example.com", "tls_mode": "implicit", "port": 993}


def detail_text(app) -> str:  # type: ignore[no-untyped-def]
    return str(app.main_screen.query_one("#detail-text").render())


async def test_the_age_timer_keeps_the_health_lines(app, context):
    item = context.storage.integrations.add("imap", "Work", SETTINGS, {"password": "pw"})
    record_outcome(context.storage.metrics, item.id, latency_ms=42, error=None, source="check")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "1 request, 0 errors (0%); latency last 42 ms" in detail_text(app)
        app.main_screen.age_times()  # what the 30 s timer calls; it used to wipe the health lines
        await pilot.pause()
        assert "latency last 42 ms" in detail_text(app)
        assert "Work" in detail_text(app)


async def test_r_and_x_are_the_list_screens_keys_and_in_the_palette(app, context):
    from app.tui.commands import screen_commands

    item = context.storage.integrations.add("imap", "Work", SETTINGS, {"password": "pw"})
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.main_screen
        names = [command.title for command in screen_commands(screen)]
        assert "Check all" in names and "Disable or enable" in names
        await pilot.press("x")
        await settle(pilot)
        assert context.storage.integrations.get(item.id).status is Status.DISABLED
        assert "Disabled: not checked" in detail_text(app)
        await pilot.press("x")
        await settle(pilot)
        assert context.storage.integrations.get(item.id).status is Status.NOT_CHECKED
        assert "Disabled: not checked" not in detail_text(app)


async def test_the_list_follows_other_tether_processes_and_keeps_the_cursor(app, context):
    repo = context.storage.integrations  # its own connection: as the CLI in another terminal
    repo.add("imap", "Beta", SETTINGS, {"password": "pw"})
    gone = repo.add("imap", "Gamma", SETTINGS, {"password": "pw"})
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.main_screen.table
        table.select_label("Beta")
        repo.add("imap", "Alpha", SETTINGS, {"password": "pw"})
        await pilot_wait_until(pilot, lambda: "Alpha" in table.shown_labels(), "the list to show Alpha", 5)
        assert table.selected.label == "Beta"  # the cursor stays on the same integration
        assert not any("removed" in note for note in app.notes)

        table.select_label("Gamma")
        repo.remove(gone.id)
        await pilot_wait_until(pilot, lambda: "Gamma" not in table.shown_labels(), "the list to drop Gamma", 5)
        assert "'Gamma' was removed in another tether." in app.notes


async def test_checking_one_removed_elsewhere_says_so(app, context):
    from dataclasses import replace

    item = context.storage.integrations.add("imap", "Work", SETTINGS, {"password": "pw"})
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        context.storage.integrations.remove(item.id)
        app.main_screen._check(replace(item))  # r, pressed before the list had caught up
        await settle(pilot)
        assert "'Work' was removed in another tether." in app.notes
        assert not any("Something went wrong" in note for note in app.notes)
        assert app.main_screen.table.shown_labels() == []


HOLD = (
    "import sys; from pathlib import Path; from storage.check_marks import CheckMarks\n"
    "marks = CheckMarks(Path(sys.argv[1]))\n"
    "with marks.checking(int(sys.argv[2])):\n"
    "    print('checking', flush=True); sys.stdin.read()\n"
)


async def test_a_check_running_in_another_tether_is_not_called_interrupted(app, context, tui_data, tmp_path):
    import subprocess
    import sys

    from storage.integrations import CHECKING_LOCK_NAME
    from tests.conftest import REPO_ROOT

    item = context.storage.integrations.add("imap", "Work", SETTINGS, {"password": "pw"})
    context.storage.integrations.set_status(item.id, Status.CHECKING)  # what the other process's check wrote
    other = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tui_data / CHECKING_LOCK_NAME), str(item.id)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,
    )
    try:
        assert other.stdout is not None and other.stdout.readline().strip() == "checking"
        async with app.run_test(size=(120, 40)) as pilot:  # opening storage resets interrupted checks
            await settle(pilot)
            assert "Checking (in another tether)." in detail_text(app)
            assert "interrupted" not in detail_text(app)
        from app.core.context import open_context

        again = open_context(tui_data, context.types).storage.integrations
        assert again.get(item.id).status is Status.CHECKING and again.checking_elsewhere(again.get(item.id))
    finally:
        other.communicate("")  # the other tether's check ends (or it crashed: the lock goes with it)
    from app.core.context import open_context

    after = open_context(tui_data, context.types).storage.integrations.get(item.id)
    assert after.status is Status.NOT_CHECKED and after.status_detail == "The last check was interrupted."
