"""The TUI on a data directory others can write: explained in the list, and nothing written into it."""

from __future__ import annotations

from pathlib import Path

from tests.tui.conftest import settle
from tests.tui.helpers import table_text


def listing(path: Path) -> dict[str, int]:
    return {item.name: item.stat().st_mtime_ns for item in path.iterdir()}


async def test_a_data_directory_others_can_write_is_refused_untouched(app, tui_data: Path):
    tui_data.chmod(0o777)
    before = listing(tui_data)
    try:
        async with app.run_test(size=(100, 24)) as pilot:
            await settle(pilot)
            text = " ".join(table_text(pilot).split())
            assert "tether will not use it" in text and "chmod 700" in text
            assert f"chmod700{tui_data}" in "".join(text.split())  # the path may wrap
            assert app.context is None
        assert listing(tui_data) == before
    finally:
        tui_data.chmod(0o700)
