"""Splitting iCalendar text into components with plain string operations.

Parsing a whole feed with icalendar costs seconds for a few megabytes, and nearly
all of it is spent on past events that cannot touch the window asked for. This
module cuts the (unfolded) text into top-level components and reads just enough
of each VEVENT (UID, whether it recurs, a generous time span) to decide whether
icalendar needs to see it. Whenever a value cannot be read here, the event is
kept: correctness first, the saving comes from the ordinary events.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

# Floating and TZID times are compared as if they were UTC; no zone is further than
# 14 h from UTC, so a day of slack on both sides keeps every event that may overlap.
_SLACK = timedelta(days=1, hours=2)
_RECURRING = ("RRULE", "RDATE", "RECURRENCE-ID", "EXRULE")
_FOLD = re.compile(r"\r?\n[ \t]")
_LINES = re.compile(r"\r?\n")  # not str.splitlines: a value may hold other line-breaking characters
_DURATION = re.compile(r"^\+?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


class NotSplittable(ValueError):
    """The text's structure is not what this module understands; parse it whole instead."""


@dataclass(frozen=True)
class EventBlock:
    text: str  # the component's unfolded lines, CRLF-joined, BEGIN/END included
    uid: str  # "None" when missing, as icalendar's str(None) reads it
    has_uid: bool
    recurs: bool  # RRULE, RDATE, EXRULE or RECURRENCE-ID
    first: datetime | None  # earliest moment it may cover (naive UTC); None: unknown
    last: datetime | None


@dataclass(frozen=True)
class SplitCalendar:
    header: tuple[str, ...]  # the VCALENDAR's own property lines
    zones: tuple[str, ...]  # VTIMEZONE blocks
    events: tuple[EventBlock, ...]

    @property
    def series_uids(self) -> frozenset[str]:
        return frozenset(block.uid for block in self.events if block.recurs)

    def count_events(self) -> int:
        """Distinct events (a series with its overrides counts once; events without UID each count)."""
        return len({block.uid for block in self.events if block.has_uid}) + sum(
            1 for block in self.events if not block.has_uid
        )

    def touching(self, start: datetime, end: datetime) -> list[int]:
        """Indexes of the events that may overlap [start, end): whole series, and events near it."""
        low, high = _naive_utc(start), _naive_utc(end)
        series = self.series_uids
        return [
            index
            for index, block in enumerate(self.events)
            if block.uid in series
            or block.first is None
            or block.last is None
            or (block.first <= high and block.last >= low)
        ]


def split(data: bytes) -> SplitCalendar:
    """The first VCALENDAR in ``data``, cut into its parts. Raises NotSplittable on odd structure."""
    text = _FOLD.sub("", data.decode("utf-8", errors="replace").lstrip("\ufeff"))
    lines = [line for line in _LINES.split(text) if line.strip()]
    if not lines or _begin(lines[0]) != "VCALENDAR":
        raise NotSplittable("no BEGIN:VCALENDAR")
    header: list[str] = []
    zones: list[str] = []
    events: list[EventBlock] = []
    index = 1
    while index < len(lines):
        line = lines[index]
        name = _begin(line)
        if name is None:
            if _end(line) == "VCALENDAR":
                return SplitCalendar(tuple(header), tuple(zones), tuple(events))
            if _end(line) is not None:
                raise NotSplittable("END without BEGIN")
            header.append(line)
            index += 1
            continue
        stop = _component_end(lines, index, name)
        block = lines[index : stop + 1]
        if name == "VTIMEZONE":
            zones.append("\r\n".join(block))
        elif name == "VEVENT":
            events.append(_event_block(block))
        index = stop + 1
    raise NotSplittable("no END:VCALENDAR")


def _component_end(lines: list[str], index: int, name: str) -> int:
    depth = 0
    for position in range(index, len(lines)):
        if _begin(lines[position]) is not None:
            depth += 1
        elif (closed := _end(lines[position])) is not None:
            depth -= 1
            if depth == 0:
                if closed != name:
                    raise NotSplittable(f"BEGIN:{name} closed by END:{closed}")
                return position
    raise NotSplittable(f"BEGIN:{name} never ends")


def _event_block(block: list[str]) -> EventBlock:
    own: dict[str, tuple[str, str]] = {}  # name -> (parameters, value), first occurrence
    depth = 0
    recurs = False
    for line in block[1:-1]:
        if _begin(line) is not None:
            depth += 1
            continue
        if _end(line) is not None:
            depth -= 1
            continue
        if depth:
            continue  # a VALARM's properties are not the event's
        name, params, value = _property(line)
        recurs = recurs or name in _RECURRING
        own.setdefault(name, (params, value))
    uid = own.get("UID", ("", ""))[1]
    first, last = _span(own)
    return EventBlock("\r\n".join(block), uid or "None", bool(uid), recurs, first, last)


def _span(own: dict[str, tuple[str, str]]) -> tuple[datetime | None, datetime | None]:
    """A span that surely contains the event, or (None, None) when unsure."""
    if "DTSTART" not in own:
        return None, None
    start = _moment(*own["DTSTART"])
    if start is None:
        return None, None
    moment, is_date = start
    if "DTEND" in own:
        end = _moment(*own["DTEND"])
        if end is None:
            return None, None
        finish = end[0]
    elif "DURATION" in own:
        length = _duration(own["DURATION"][1])
        if length is None:
            return None, None
        finish = moment + length
    else:
        finish = moment + (timedelta(days=1) if is_date else timedelta(0))
    return moment - _SLACK, max(moment, finish) + _SLACK


def _moment(params: str, value: str) -> tuple[datetime, bool] | None:
    """(naive moment, is a date); times with Z are exact UTC, others are within the slack."""
    value = value.strip()
    try:
        if len(value) == 8 and value.isdigit():
            return datetime.strptime(value, "%Y%m%d"), True
        if len(value) in (15, 16) and value[8] == "T" and (len(value) == 15 or value[15] in "Zz"):
            return datetime.strptime(value[:15], "%Y%m%dT%H%M%S"), False
    except ValueError:
        return None
    return None  # a period, a list or something odd: let icalendar judge


def _duration(value: str) -> timedelta | None:
    match = _DURATION.match(value.strip().upper())
    if match is None:
        return None
    weeks, days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)


def _property(line: str) -> tuple[str, str, str]:
    """NAME, parameters, value; a colon inside a quoted parameter value does not end the name part."""
    quoted = False
    for position, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char == ":" and not quoted:
            head, value = line[:position], line[position + 1 :]
            name, _, params = head.partition(";")
            return name.strip().upper(), params, value
    return line.strip().upper(), "", ""


def _begin(line: str) -> str | None:
    if line[:6].upper() == "BEGIN:":
        return line[6:].strip().upper()
    return None


def _end(line: str) -> str | None:
    if line[:4].upper() == "END:":
        return line[4:].strip().upper()
    return None


def _naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)
