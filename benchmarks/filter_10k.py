"""The integrations list with 10 000 integrations: open-to-table time, and keystroke-to-repaint in the filter.

A keystroke is timed from the moment the App receives the key event to the last line the
table renders for it (the table only renders the rows on screen). Runs headless at 120x40.

Run: python benchmarks/filter_10k.py [--count 10000]. Prints the figures; the goal is <= 50 ms a keystroke.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

QUERY = "feed 12"
STATUSES = ("connected", "error", "needs_reauth", "not_checked", "disabled")
KINDS = (("imap", "Mail"), ("ical", "Feed"), ("caldav", "Calendar"), ("gmail", "Gmail"))


def fill_database(data_dir: Path, count: int) -> None:
    """Bulk-insert rows as storage would have written them (no secrets: listing needs none)."""
    from sqlalchemy.orm import Session

    from app.core.context import open_context
    from storage.models import IntegrationRow

    context = open_context(data_dir)
    engine = context.storage.integrations.engine
    stamp = datetime.now(UTC)
    with Session(engine) as session:
        for number in range(count):
            key, word = KINDS[number % len(KINDS)]
            label = f"{word} {number:05d}"
            session.add(
                IntegrationRow(
                    label=label,
                    label_key=label.casefold(),
                    type_key=key,
                    settings={},
                    secret_ref=f"ref{number}",
                    secret_store=None,
                    secret_names=[],
                    status=STATUSES[number % len(STATUSES)],
                    status_detail="",
                    last_checked_at=stamp - timedelta(minutes=number % 600),
                    pending=False,
                    created_at=stamp,
                    updated_at=stamp,
                    check_summary="",
                    connector_state={},
                )
            )
        session.commit()


async def measure(data_dir: Path) -> tuple[float, list[float], int]:
    from textual import events

    from app.tui.tether_app import TetherApp
    from widgets.integration_table import IntegrationTable

    marks: dict[str, float] = {}
    original_render_line = IntegrationTable.render_line

    def timed_render_line(self, y):  # type: ignore[no-untyped-def]
        marks["rendered"] = time.perf_counter()
        return original_render_line(self, y)

    IntegrationTable.render_line = timed_render_line  # type: ignore[method-assign]

    class TimedApp(TetherApp):
        async def on_event(self, event: events.Event) -> None:
            if isinstance(event, events.Key):
                marks["key"] = time.perf_counter()
            await super().on_event(event)

    started = time.perf_counter()
    app = TimedApp(data_dir=data_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.screen.query_one(IntegrationTable)
        while not table.loaded:
            await pilot.pause(0.005)
        await pilot.pause()
        open_to_table = marks["rendered"] - started
        await pilot.press("slash")
        keystrokes: list[float] = []
        for key in [*QUERY, "backspace", "backspace", "backspace", "backspace"]:
            await pilot.press(key)
            await pilot.pause()
            keystrokes.append(marks["rendered"] - marks["key"])
        shown = table.shown_count
    IntegrationTable.render_line = original_render_line  # type: ignore[method-assign]
    return open_to_table, keystrokes, shown


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=10_000)
    args = parser.parse_args()
    os.environ.setdefault("TETHER_SECRET_STORE", "vault")
    # Background re-checks would hit the network for 10 000 made-up integrations: measure the filter alone.
    os.environ.setdefault("TETHER_CHECK_INTERVAL", "off")
    with tempfile.TemporaryDirectory(prefix="tether-filter-") as tmp:
        data_dir = Path(tmp) / "data"
        fill_database(data_dir, args.count)
        open_to_table, keystrokes, shown = asyncio.run(measure(data_dir))
    ms = [k * 1000 for k in keystrokes]
    print(f"integrations: {args.count}")
    print(f"open to painted table (in-process, includes the DB read): {open_to_table * 1000:.0f} ms")
    print(f"filter keystrokes ({len(ms)}, typing {QUERY!r} then backspaces; {shown} rows match at the end):")
    print(f"  median {statistics.median(ms):.1f} ms, max {max(ms):.1f} ms   (goal <= 50 ms)")
    print("  each: " + " ".join(f"{m:.1f}" for m in ms))
    return 0


if __name__ == "__main__":
    sys.exit(main())
