"""Every key binding of the current screen as a command-palette entry, for people who forget keys."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from textual.app import SystemCommand
from textual.binding import Binding
from textual.screen import Screen

PALETTE_SKIP = {"cursor", "page", "jump", "move", "app.quit", "quit", "help"}
# Where the footer's short word is not what a person types to find it.
PALETTE_TITLES = {"toggle_disabled": "Disable or enable"}


def screen_commands(screen: Screen) -> Iterator[SystemCommand]:
    """One command per binding that applies now (check_action), named by its description."""
    seen: set[str] = set()
    for binding in getattr(type(screen), "BINDINGS", []):
        if not isinstance(binding, Binding) or binding.action in seen:
            continue
        name = binding.action.split("(")[0]
        if name in PALETTE_SKIP or binding.action == "cancel":
            continue
        if not screen.check_action(name, ()):
            continue
        seen.add(binding.action)
        help_text = f"{binding.tooltip} ({binding.key_display or binding.key})" if binding.tooltip else binding.key
        title = PALETTE_TITLES.get(name, binding.description)
        yield SystemCommand(title, help_text, partial(screen.run_action, binding.action))
    yield SystemCommand(
        "Help", "Every key on this screen, and what to do next (F1)", partial(screen.app.run_action, "help")
    )
