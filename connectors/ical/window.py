"""A feed split once and parsed only where a window needs it.

``ParsedFeed`` holds one feed body cut into components (see ``split``). Reading a
window parses, with icalendar, only the components that may touch it (every
series, events near the window, all time zones), remembers what it parsed for
the next window, and remembers the last few windows' results outright.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import datetime
from typing import Any

from connectors.calendar_events import CalendarEvent
from connectors.ical.budget import Budget
from connectors.ical.expand import calendar_name, count_events, expand, malformed, parse_calendar
from connectors.ical.split import NotSplittable, SplitCalendar, split

_BATCH = 200  # components parsed per icalendar call: large enough to be cheap, small enough to check the clock
_REMEMBERED_WINDOWS = 8
_WHOLE_LIMIT = 2 * 1024 * 1024  # bodies the splitter cannot read are parsed whole only up to this size


class ParsedFeed:
    """One feed body; thread-safe, so the MCP server may share it between calls."""

    def __init__(self, data: bytes, *, source: str = "The feed", field: str | None = "url") -> None:
        self.size = len(data)
        self.source, self.field = source, field
        self._lock = threading.Lock()
        self._parsed: dict[int, Any] = {}  # event index -> component, or None when unreadable
        self._results: OrderedDict[tuple[Any, ...], tuple[list[CalendarEvent], list[str], list[str]]] = OrderedDict()
        try:
            self._split: SplitCalendar | None = split(data)
            self._whole: Any = None
        except NotSplittable:  # unusual structure: let icalendar read (or refuse) it whole
            if len(data) > _WHOLE_LIMIT:  # a whole parse cannot be stopped at the deadline
                raise malformed(source, field) from None
            self._split = None
            self._whole = parse_calendar(data, source=source, field=field)
        self._shell: Any = self._whole if self._split is None else self._parse_shell(self._split)

    @property
    def name(self) -> str:
        return calendar_name(self._shell)

    def count_events(self) -> int:
        return self._split.count_events() if self._split is not None else count_events(self._whole)

    def events(
        self, label: str, start: datetime, end: datetime, budget: Budget
    ) -> tuple[list[CalendarEvent], list[str]]:
        """Like ``expand`` on the whole feed, and the same result; notes go to the budget."""
        key = (label, start, end, budget.per_series, budget.per_call)
        with self._lock:
            if key in self._results:
                self._results.move_to_end(key)
                events, warnings, notes = self._results[key]
                budget.used += len(events)
                for note in notes:
                    budget.note(note)
                return list(events), list(warnings)
            calendar, warnings = self._calendar_for(start, end, budget)
            events, skipped = expand(calendar, label, start, end, budget)
            result = (events, warnings + skipped, list(budget.notes))
            self._results[key] = result
            if len(self._results) > _REMEMBERED_WINDOWS:
                self._results.popitem(last=False)
            return list(result[0]), list(result[1])

    def _calendar_for(self, start: datetime, end: datetime, budget: Budget) -> tuple[Any, list[str]]:
        import icalendar

        if self._split is None:  # a copy: expanding drops unreadable events from the calendar it is given
            calendar = icalendar.Calendar()
            calendar.update(self._whole)
            for component in self._whole.subcomponents:
                calendar.add_component(component)
            return calendar, []

        wanted = self._split.touching(start, end)
        warnings = self._parse(wanted, budget)
        calendar = icalendar.Calendar()
        calendar.update(self._shell)
        for zone in self._shell.subcomponents:
            calendar.add_component(zone)
        for index in wanted:
            if self._parsed[index] is not None:
                calendar.add_component(self._parsed[index])
        return calendar, warnings

    def _parse(self, wanted: list[int], budget: Budget) -> list[str]:
        """Parse the wanted events not parsed before, in batches, checking the clock between them."""
        assert self._split is not None
        missing = [index for index in wanted if index not in self._parsed]
        for first in range(0, len(missing), _BATCH):
            budget.check()
            batch = missing[first : first + _BATCH]
            parsed = self._parse_batch(batch)
            if parsed is None:  # something in the batch is broken: find it
                parsed = [self._parse_one(index) for index in batch]
            self._parsed.update(zip(batch, parsed, strict=True))
        broken = sum(1 for index in wanted if self._parsed[index] is None)
        if not broken:
            return []
        return [f"Skipped {broken} event{'s' if broken != 1 else ''} whose data cannot be read."]

    def _parse_batch(self, batch: list[int]) -> list[Any] | None:
        import icalendar

        try:
            calendar = icalendar.Calendar.from_ical(self._text(batch))
        except Exception:
            return None
        if isinstance(calendar, list):
            return None
        events = [component for component in calendar.subcomponents if component.name == "VEVENT"]
        return events if len(events) == len(batch) else None

    def _parse_one(self, index: int) -> Any:
        events = self._parse_batch([index])
        return events[0] if events else None

    def _text(self, indexes: list[int]) -> str:
        assert self._split is not None
        parts = ["BEGIN:VCALENDAR", *self._split.header, *self._split.zones]
        parts += [self._split.event_text(index) for index in indexes]
        parts.append("END:VCALENDAR\r\n")
        return "\r\n".join(parts)

    def _parse_shell(self, parts: SplitCalendar) -> Any:
        """The VCALENDAR's own properties and its time zones."""
        text = "\r\n".join(["BEGIN:VCALENDAR", *parts.header, *parts.zones, "END:VCALENDAR\r\n"])
        try:
            return parse_calendar(text, source=self.source, field=self.field)
        except Exception:
            raise malformed(self.source, self.field) from None
