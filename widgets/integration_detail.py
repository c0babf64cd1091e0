"""The selected integration's detail: settings without secrets, status, last check, workflows."""

from __future__ import annotations

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


def detail_content(integration: Integration, now: datetime, types: TypeRegistry | None = None) -> Content:
    item = integration
    status = item.status
    parts: list[str | tuple[str, str] | Content] = [
        plain(item.label, "bold"),
        (f"  {type_name(item.type_key, types)}\n", "$text-muted"),
        ("Status    ", "$text-muted"),
        (f"{STATUS_MARKER[status]} {STATUS_TEXT[status]}", STATUS_STYLE[status]),
    ]
    if item.status_detail:
        parts.append(plain(f" — {item.status_detail}"))
    parts.append("\n")
    parts += [("Checked   ", "$text-muted"), ago(item.last_checked_at, now)]
    if item.check_summary:
        parts.append(plain(f" — {item.check_summary}"))
    parts.append("\n")
    settings = visible_settings(item, types)
    if settings:
        parts.append(("Settings  ", "$text-muted"))
        parts.append(plain("  ·  ".join(f"{label}: {value}" for label, value in settings)))
        parts.append("\n")
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
    return Content.assemble(*parts)


class IntegrationDetail(VerticalScroll, can_focus=False):
    """A scrolling pane under the list; empty text says what to do."""

    DEFAULT_CSS = """
    IntegrationDetail { height: 8; border-top: solid $primary 50%; padding: 0 1; background: $surface; }
    IntegrationDetail > Static { width: 1fr; }
    """

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static(id="detail-text")

    def show(self, integration: Integration | None, now: datetime, footer: str = "") -> None:
        text = self.query_one("#detail-text", Static)
        if integration is None:
            content = Content.assemble(("Nothing selected.", "$text-muted"))
        else:
            content = detail_content(integration, now, getattr(self.app, "types", None))
        if footer:
            content = Content.assemble(content, "\n", plain(footer, "$text-muted"))
        text.update(content)
