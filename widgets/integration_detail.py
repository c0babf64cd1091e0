"""The selected integration's detail: settings without secrets, status, last check, workflows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from app.core.formatting import STATUS_MARKER, STATUS_TEXT, ago, type_name, visible_settings
from connectors.registry import TypeRegistry
from storage.records import Integration, Status
from widgets.plain import plain

STATUS_STYLE = {
    Status.CONNECTED: "$success",
    Status.ERROR: "$error bold",
    Status.NEEDS_REAUTH: "$warning bold",
    Status.CHECKING: "$accent",
    Status.NOT_CHECKED: "$text-muted",
    Status.DISABLED: "$text-disabled",
}


def detail_content(
    integration: Integration,
    now: datetime,
    types: TypeRegistry | None = None,
    *,
    note: str = "",
    health: Sequence[str] = (),
) -> Content:
    """The most useful lines first: what it is and its state, what is wrong, health, who uses it, settings."""
    item = integration
    status = item.status
    parts: list[str | tuple[str, str] | Content] = [
        plain(item.label, "bold"),
        (f"  {type_name(item.type_key, types)}  ", "$text-muted"),
        (f"{STATUS_MARKER[status]} {STATUS_TEXT[status]}", STATUS_STYLE[status]),
        "\n",
    ]
    if item.status_detail:
        parts += [plain(item.status_detail, STATUS_STYLE[status] if status is not Status.CONNECTED else ""), "\n"]
    if note:
        parts += [plain(note, "$warning"), "\n"]
    parts += [("Checked   ", "$text-muted"), ago(item.last_checked_at, now)]
    if item.check_summary:
        parts.append(plain(f" — {item.check_summary}"))
    parts.append("\n")
    for number, line in enumerate(health):
        parts += [("Health    " if number == 0 else "          ", "$text-muted"), plain(line), "\n"]
    parts.append(("Workflows ", "$text-muted"))
    if item.used_by:
        uses = []
        for use in item.used_by:
            schedule = f", {use.schedule}" if use.schedule else ""
            off = ", off" if not use.enabled else ""
            uses.append(f"{use.workflow_name} ({use.role}, {use.access}{schedule}{off})")
        parts.append(plain("; ".join(uses)))
    else:
        parts.append(("none — press w to use it in a workflow", "$text-muted"))
    parts.append("\n")
    settings = visible_settings(item, types)
    width = max([9, *(len(label) for label, _ in settings)])
    for label, value in settings:
        parts += [(f"{label:<{width}} ", "$text-muted"), plain(value), "\n"]
    return Content.assemble(*parts)


class IntegrationDetail(VerticalScroll, can_focus=True):
    """The selected integration under the list; tab reaches it, and the arrows scroll it."""

    DEFAULT_CSS = """
    IntegrationDetail { height: auto; min-height: 9; max-height: 50%; border-top: solid $primary 50%; padding: 0 1; background: $surface; }
    IntegrationDetail:focus { border-top: thick $accent; }
    IntegrationDetail > Static { width: 1fr; }
    """

    def compose(self):
        yield Static(id="detail-text")

    def show(
        self, integration: Integration | None, now: datetime, note: str = "", *, health: Sequence[str] = ()
    ) -> None:
        """``note`` says what matters most (disabled; where secrets are kept when nothing is selected)."""
        text = self.query_one("#detail-text", Static)
        if integration is None:
            content = Content.assemble(("Nothing selected.", "$text-muted"))
            if note:
                content = Content.assemble(content, "\n", plain(note, "$text-muted", multiline=True))
        else:
            types = getattr(self.app, "types", None)
            content = detail_content(integration, now, types, note=note, health=health)
        text.update(content)
