"""The integrations list: a line-API table that renders only the rows on screen.

Filtering keeps one list of row indices and never rebuilds widgets, so a keystroke
costs the same with ten integrations or ten thousand.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from app.core.formatting import STATUS_MARKER, STATUS_TEXT, ago, type_name
from connectors.registry import TypeRegistry
from connectors.outside_text import clean
from storage.records import Integration, Status

STATUS_WIDTH = 16
TYPE_WIDTH = 16  # the longest type name and a space: Type and Checked never run together
CHECKED_WIDTH = 11
USED_WIDTH = 9
MIN_LABEL_WIDTH = 12
WIDE_LABEL_WIDTH = 28
MIN_DETAIL_WIDTH = 20


@dataclass(frozen=True)
class _Row:
    integration: Integration
    type_text: str
    haystack: str


def _row(integration: Integration, types: TypeRegistry | None = None) -> _Row:
    kind = type_name(integration.type_key, types)
    status = STATUS_TEXT[integration.status]
    haystack = f"{integration.label} {kind} {integration.type_key} {status} {integration.status}".casefold()
    return _Row(integration, kind, haystack)


def _fit(text: str, width: int) -> str:
    """``text`` in exactly ``width`` characters; every cell goes through here, so it is cleaned here too."""
    text = clean(text)
    if len(text) <= width:
        return text.ljust(width)
    return text[: max(0, width - 1)] + "…"


def _wrap(text: str, width: int) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width) or [""]


class IntegrationTable(ScrollView, can_focus=True):
    """Integrations with status, last check and use count; a cursor row and a live filter."""

    DEFAULT_CSS = """
    IntegrationTable {
        background: $surface;
        height: 1fr;
        scrollbar-gutter: stable;
    }
    IntegrationTable > .integration-table--header { text-style: bold; color: $text-muted; }
    IntegrationTable > .integration-table--cursor { background: $panel-lighten-1; }
    IntegrationTable:focus > .integration-table--cursor { background: $primary 40%; }
    IntegrationTable > .integration-table--empty { color: $text-muted; }
    IntegrationTable > .status--connected { color: $success; }
    IntegrationTable > .status--error { color: $error; text-style: bold; }
    IntegrationTable > .status--needs_reauth { color: $warning; text-style: bold; }
    IntegrationTable > .status--checking { color: $accent; }
    IntegrationTable > .status--not_checked { color: $text-muted; }
    IntegrationTable > .status--disabled { color: $text-disabled; }
    """

    COMPONENT_CLASSES = {
        "integration-table--header",
        "integration-table--cursor",
        "integration-table--empty",
        *(f"status--{status}" for status in Status),
    }

    BINDINGS = [
        Binding("up", "cursor(-1)", "Up", show=False, id="table.up"),
        Binding("down", "cursor(1)", "Down", show=False, id="table.down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="table.page_up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="table.page_down"),
        Binding("home", "jump(0)", "First", show=False, id="table.first"),
        Binding("end", "jump(-1)", "Last", show=False, id="table.last"),
    ]

    class Highlighted(Message):
        """The row under the cursor changed (None when nothing is shown)."""

        def __init__(self, integration: Integration | None) -> None:
            super().__init__()
            self.integration = integration

    class Chosen(Message):
        """A row was clicked twice or chosen with enter."""

        def __init__(self, integration: Integration) -> None:
            super().__init__()
            self.integration = integration

    def __init__(self, clock: Callable[[], datetime], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._clock = clock
        self._rows: list[_Row] = []
        self._shown: list[int] = []  # indices into _rows that pass the filter
        self._query = ""
        self._cursor = 0
        self.loaded = False
        self.failure = ""  # why the list could not be read, shown instead of rows

    # --- data ------------------------------------------------------------------------

    @property
    def total(self) -> int:
        return len(self._rows)

    @property
    def shown_count(self) -> int:
        return len(self._shown)

    @property
    def filter_text(self) -> str:
        """What the list is filtered by ("" for everything); not ``query``, which Textual's DOM already has."""
        return self._query

    @property
    def selected(self) -> Integration | None:
        if not self._shown:
            return None
        return self._rows[self._shown[self._cursor]].integration

    def shown_labels(self) -> list[str]:
        return [self._rows[index].integration.label for index in self._shown]

    def integrations(self) -> list[Integration]:
        return [row.integration for row in self._rows]

    def all_labels(self) -> set[str]:
        return {row.integration.label for row in self._rows}

    def set_integrations(self, integrations: Sequence[Integration]) -> None:
        """Replace every row, keeping the cursor on the same integration when it is still there."""
        previous = self.selected
        types = getattr(self.app, "types", None)  # the app's registry: a type only it knows still has a name
        self._rows = [_row(item, types) for item in integrations]
        self.loaded = True
        self._apply_filter(keep_id=previous.id if previous else None)

    def show_failure(self, message: str) -> None:
        self.failure = message
        self.loaded = True
        self.refresh()

    def update_integration(self, integration: Integration) -> None:
        """Replace one row in place (e.g. after a check) without touching the others."""
        for index, row in enumerate(self._rows):
            if row.integration.id == integration.id:
                self._rows[index] = _row(integration, getattr(self.app, "types", None))
                self.refresh()
                if self.selected is not None and self.selected.id == integration.id:
                    self.post_message(self.Highlighted(integration))
                return

    def set_filter(self, query: str) -> None:
        # Typing more can only narrow the matches: search only the rows shown now.
        narrowing = bool(self._query) and query.casefold().startswith(self._query.casefold())
        self._query = query
        previous = self.selected
        self._apply_filter(keep_id=previous.id if previous else None, narrowing=narrowing)

    def _apply_filter(self, keep_id: int | None, narrowing: bool = False) -> None:
        words = self._query.casefold().split()
        rows = self._rows
        if words:
            candidates = self._shown if narrowing else range(len(rows))
            if len(words) == 1:
                word = words[0]
                self._shown = [i for i in candidates if word in rows[i].haystack]
            else:
                self._shown = [i for i in candidates if all(w in rows[i].haystack for w in words)]
        else:
            self._shown = list(range(len(rows)))
        self._cursor = 0
        if keep_id is not None:
            for position, index in enumerate(self._shown):
                if self._rows[index].integration.id == keep_id:
                    self._cursor = position
                    break
        self.virtual_size = Size(self.scrollable_content_region.width, len(self._shown) + 1)
        self._scroll_cursor_into_view()
        self.refresh()
        self.post_message(self.Highlighted(self.selected))

    def select_label(self, label: str) -> bool:
        for position, index in enumerate(self._shown):
            if self._rows[index].integration.label.casefold() == label.casefold():
                self._move_to(position)
                return True
        return False

    # --- cursor ----------------------------------------------------------------------

    def _move_to(self, position: int) -> None:
        if not self._shown:
            return
        position = max(0, min(position, len(self._shown) - 1))
        if position == self._cursor:
            return
        self._cursor = position
        self._scroll_cursor_into_view()
        self.refresh()
        self.post_message(self.Highlighted(self.selected))

    def _scroll_cursor_into_view(self) -> None:
        visible = max(1, self.scrollable_content_region.height - 1)
        top = round(self.scroll_y)
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=False, immediate=True)
        elif self._cursor >= top + visible:
            self.scroll_to(y=self._cursor - visible + 1, animate=False, immediate=True)

    def action_cursor(self, delta: int) -> None:
        self._move_to(self._cursor + delta)

    def action_page(self, direction: int) -> None:
        self._move_to(self._cursor + direction * max(1, self.scrollable_content_region.height - 2))

    def action_jump(self, position: int) -> None:
        self._move_to(len(self._shown) - 1 if position < 0 else position)

    def on_click(self, event: events.Click) -> None:
        if event.y < 1:
            return
        position = round(self.scroll_y) + event.y - 1
        if 0 <= position < len(self._shown):
            self._move_to(position)
            if event.chain >= 2 and self.selected is not None:
                self.post_message(self.Chosen(self.selected))

    def on_resize(self) -> None:
        self.virtual_size = Size(self.scrollable_content_region.width, len(self._shown) + 1)

    # --- rendering -------------------------------------------------------------------

    def _widths(self, width: int) -> tuple[int, int, int, int, int, int]:
        """Column widths; on a wide terminal the rest goes to the status detail (an error's reason)."""
        label = max(MIN_LABEL_WIDTH, width - STATUS_WIDTH - TYPE_WIDTH - CHECKED_WIDTH - USED_WIDTH - 5)
        detail = 0
        if label > WIDE_LABEL_WIDTH + MIN_DETAIL_WIDTH:
            detail = label - WIDE_LABEL_WIDTH - 1
            label = WIDE_LABEL_WIDTH
        return STATUS_WIDTH, label, TYPE_WIDTH, CHECKED_WIDTH, USED_WIDTH, detail

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if y == 0:
            return self._header_line(width)
        if not self._shown:
            return self._empty_line(y, width)
        position = round(self.scroll_y) + y - 1
        if position >= len(self._shown):
            return Strip.blank(width, self.rich_style)
        return self._row_line(self._rows[self._shown[position]], position == self._cursor, width)

    def _header_line(self, width: int) -> Strip:
        status, label, kind, checked, used, detail = self._widths(width)
        titles = [
            _fit(" Status", status),
            _fit("Label", label),
            _fit("Type", kind),
            _fit("Checked", checked),
            _fit("Workflows", used),
        ]
        if detail:
            titles.append(_fit("Detail", detail))
        text = " ".join(titles)
        style = self.rich_style + self.get_component_rich_style("integration-table--header")
        return Strip([Segment(text, style)]).adjust_cell_length(width, self.rich_style)

    def _empty_line(self, y: int, width: int) -> Strip:
        message = ""
        if self.failure and y >= 2:
            lines = [f"  {line}" for line in _wrap(clean(self.failure), max(20, width - 4))]
            message = lines[y - 2] if y - 2 < len(lines) else ""
        elif y == 2:
            if not self.loaded:
                message = "  Loading integrations…"
            elif not self._rows:
                message = "  No integrations yet. Press n to connect your first account."
            else:
                message = f"  Nothing matches “{self._query}”. Press escape to clear the filter."
        style = self.rich_style + self.get_component_rich_style("integration-table--empty")
        return Strip([Segment(_fit(message, width), style)]).adjust_cell_length(width, self.rich_style)

    def _row_line(self, row: _Row, is_cursor: bool, width: int) -> Strip:
        item = row.integration
        status_w, label_w, type_w, checked_w, used_w, detail_w = self._widths(width)
        base = self.rich_style
        if is_cursor:
            base = base + self.get_component_rich_style("integration-table--cursor")
        status_style = base + self._status_style(item.status)
        uses = len(item.used_by)
        cells = [
            Segment(_fit(f" {STATUS_MARKER[item.status]} {STATUS_TEXT[item.status]}", status_w), status_style),
            Segment(" ", base),
            Segment(_fit(item.label, label_w), base + Style(bold=True)),
            Segment(" ", base),
            Segment(_fit(row.type_text, type_w), base),
            Segment(" ", base),
            Segment(_fit(ago(item.last_checked_at, self._clock()), checked_w), base),
            Segment(" ", base),
            Segment(_fit(str(uses) if uses else "-", used_w), base),
        ]
        if detail_w:
            detail = item.status_detail or item.check_summary
            style = status_style if item.status_detail and item.status is not Status.CONNECTED else base
            cells += [Segment(" ", base), Segment(_fit(detail, detail_w), style)]
        return Strip(cells).adjust_cell_length(width, base)

    def _status_style(self, status: Status) -> Style:
        # The colour is a second cue only: the marker and the word already say it.
        return self.get_component_rich_style(f"status--{status}", partial=True)
