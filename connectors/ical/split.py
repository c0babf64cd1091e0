"""Splitting iCalendar text into components with plain string operations.

Parsing a whole feed with icalendar costs seconds for a few megabytes, and nearly
all of it is spent on past events that cannot touch the window asked for. This
module cuts the (unfolded) text into top-level components with one regular
expression and reads just enough of each VEVENT (UID, start, end or duration,
recurrence) to decide whether icalendar needs to see it. Whenever a value cannot
be read here, the event is kept: correctness first, the saving comes from the
ordinary events.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from connectors.ical.rules import RuleCheck

# Floating and TZID times are compared as if they were UTC; no zone is further than
# 14 h from UTC, so a day of slack on both sides keeps every event that may overlap.
_SLACK = timedelta(days=1, hours=2)
_FOREVER = datetime(9999, 1, 1)
_LINES = re.compile(r"\r?\n")  # not str.splitlines: a value may hold other line-breaking characters
# Component boundaries and the properties that place an event in time, in one pass.
# Each match starts at the newline before its line: a literal start is much faster to search for.
_SCAN = re.compile(
    r"(?i)\n(?:(BEGIN|END):[ \t]*([A-Z0-9-]+)[ \t]*\r?(?=\n)"
    r"|(UID|DTSTART|DTEND|DURATION|RRULE|RDATE|EXRULE|RECURRENCE-ID)([;:][^\r\n]*))"
)
# The properties tether and recurring-ical-events read; descriptions, attendees and the
# like are left out, which halves what icalendar has to parse.
_KEPT = re.compile(
    r"(?i)(?:UID|SUMMARY|LOCATION|DTSTART|DTEND|DURATION|RRULE|RDATE|EXDATE|EXRULE|RECURRENCE-ID"
    r"|SEQUENCE|STATUS|TRANSP)[;:][^\r\n]*"
)
_DURATION = re.compile(r"^\+?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")
_STEPS = {
    "SECONDLY": timedelta(seconds=1),
    "MINUTELY": timedelta(minutes=1),
    "HOURLY": timedelta(hours=1),
    "DAILY": timedelta(days=1),
    "WEEKLY": timedelta(weeks=1),
}


class NotSplittable(ValueError):
    """The text's structure is not what this module understands; parse it whole instead."""


@dataclass(frozen=True)
class EventBlock:
    start: int  # offsets of the component in the unfolded text
    end: int
    uid: str  # "None" when missing, as icalendar's str(None) reads it
    has_uid: bool
    recurs: bool  # RRULE, RDATE, EXRULE or RECURRENCE-ID
    first: datetime | None  # earliest moment it may cover (naive, UTC give or take the slack); None: unknown
    last: datetime | None
    rule: RuleCheck | None = None  # for a master with RRULE: a closer look than first..last


@dataclass(frozen=True)
class SplitCalendar:
    text: str  # unfolded
    header: tuple[str, ...]  # the VCALENDAR's own property lines
    zones: tuple[str, ...]  # VTIMEZONE blocks
    events: tuple[EventBlock, ...]

    def count_events(self) -> int:
        """Distinct events (a series with its overrides counts once; events without UID each count)."""
        return len({block.uid for block in self.events if block.has_uid}) + sum(
            1 for block in self.events if not block.has_uid
        )

    def event_text(self, index: int) -> str:
        """The event as icalendar needs it: the properties read, without alarms or long texts."""
        block = self.events[index]
        kept = []
        depth = 0
        for line in _LINES.split(self.text[block.start : block.end]):
            head = line[:6].upper()
            if head.startswith("BEGIN:"):
                depth += 1
            elif head.startswith("END:"):
                depth -= 1
            elif depth == 1 and _KEPT.match(line):
                kept.append(line)
        return "\r\n".join(["BEGIN:VEVENT", *kept, "END:VEVENT"])

    def touching(self, start: datetime, end: datetime) -> list[int]:
        """Indexes of the events that may overlap [start, end): every part of a series any part
        of which may reach into the window (an override may move an occurrence in or out),
        and single events near it."""
        low, high = _naive_utc(start), _naive_utc(end)
        series = {block.uid for block in self.events if block.recurs}
        wanted = {
            block.uid
            for block in self.events
            if block.uid in series
            and _near(block, low, high)
            and (block.rule is None or block.rule.may_touch(low, high))
        }
        return [
            index
            for index, block in enumerate(self.events)
            if block.uid in wanted or (block.uid not in series and _near(block, low, high))
        ]


def _near(block: EventBlock, low: datetime, high: datetime) -> bool:
    return block.first is None or block.last is None or (block.first <= high and block.last >= low)


def split(data: bytes) -> SplitCalendar:
    """The first VCALENDAR in ``data``, cut into its parts. Raises NotSplittable on odd structure."""
    text = "\n" + _unfolded(data.decode("utf-8", errors="replace").lstrip("\ufeff")) + "\n"
    header: list[str] = []
    zones: list[str] = []
    events: list[EventBlock] = []
    names: list[str] = []
    outside = opened = 0  # where the VCALENDAR's own text resumes; where a component began
    own: dict[str, list[str]] = {}
    for match in _SCAN.finditer(text):
        kind, name, prop, rest = match.groups()
        if kind is None:  # a property: an event's own (not an alarm's) counts
            if len(names) == 2 and names[1] == "VEVENT":
                own.setdefault(prop.upper(), []).append(rest)
            continue
        kind, name = kind.upper(), name.upper()
        if kind == "BEGIN":
            if not names:
                if name != "VCALENDAR":
                    raise NotSplittable("no BEGIN:VCALENDAR")
                outside = match.end()
            elif len(names) == 1:
                if match.start() - outside > 2:  # more than the line break between components
                    header += _lines(text[outside : match.start()])
                opened, own = match.start() + 1, {}
            names.append(name)
            continue
        if not names or names.pop() != name:
            raise NotSplittable(f"END:{name} does not close what was opened")
        if len(names) == 1:
            if name == "VTIMEZONE":
                zones.append(text[opened : match.end()])
            elif name == "VEVENT":
                events.append(_event_block(opened, match.end(), own))
            outside = match.end()
        elif not names:
            header += _lines(text[outside : match.start()])
            return SplitCalendar(text, tuple(header), tuple(zones), tuple(events))
    raise NotSplittable("no END:VCALENDAR")


def _unfolded(text: str) -> str:
    """RFC 5545 unfolding: a line break followed by a space or tab is removed (str.replace is
    several times faster than a regular expression here)."""
    for fold in ("\r\n ", "\r\n\t", "\n ", "\n\t"):
        if fold in text:
            text = text.replace(fold, "")
    return text


def _lines(text: str) -> list[str]:
    return [line.rstrip("\r") for line in _LINES.split(text) if line.strip()]


def _event_block(start: int, end: int, own: dict[str, list[str]]) -> EventBlock:
    uid = _value(own["UID"][0]).strip() if "UID" in own else ""
    recurs = any(name in own for name in ("RRULE", "RDATE", "RECURRENCE-ID", "EXRULE"))
    timing = _timing(own)
    if timing is None:
        return EventBlock(start, end, uid or "None", bool(uid), recurs, None, None)
    moment, length = timing
    rdates = _rdates(own)
    if rdates is None:
        return EventBlock(start, end, uid or "None", bool(uid), recurs, None, None)
    first, last = min([moment, *rdates]), max([moment, *rdates])
    rule = None
    if "RRULE" in own:
        rule_end = _rule_end(own["RRULE"], moment)
        last = _FOREVER if rule_end is None else max(last, rule_end)
        rule = RuleCheck(tuple(_value(line) for line in own["RRULE"]), moment, length, tuple(rdates))
    try:
        last = min(last + length + _SLACK, _FOREVER)
        first = first - _SLACK
    except OverflowError:  # dates at the ends of the calendar: keep the event
        return EventBlock(start, end, uid or "None", bool(uid), recurs, None, None, rule)
    return EventBlock(start, end, uid or "None", bool(uid), recurs, first, last, rule)


def _timing(own: dict[str, list[str]]) -> tuple[datetime, timedelta] | None:
    """DTSTART (naive) and the length, or None when unsure."""
    if "DTSTART" not in own or "RANGE=" in "".join(own.get("RECURRENCE-ID", [])).upper():
        return None  # an override of this and all later occurrences: keep the series whole
    start = _moment(_value(own["DTSTART"][0]))
    if start is None:
        return None
    moment, is_date = start
    if "DTEND" in own:
        end = _moment(_value(own["DTEND"][0]))
        if end is None:
            return None
        return moment, max(end[0] - moment, timedelta(0))
    if "DURATION" in own:
        length = _duration(_value(own["DURATION"][0]))
        return None if length is None else (moment, length)
    return moment, timedelta(days=1) if is_date else timedelta(0)


def _rdates(own: dict[str, list[str]]) -> list[datetime] | None:
    moments = []
    for line in own.get("RDATE", []):
        for value in _value(line).split(","):
            parsed = _moment(value)
            if parsed is None:
                return None  # a PERIOD or something odd
            moments.append(parsed[0])
    return moments


def _rule_end(rules: list[str], start: datetime) -> datetime | None:
    """The latest start any of ``rules`` can give, or None when it may go on for ever."""
    latest = start
    for line in rules:
        parts = dict(part.partition("=")[::2] for part in _value(line).upper().split(";"))
        if "UNTIL" in parts:
            until = _moment(parts["UNTIL"])
            if until is None:
                return None
            latest = max(latest, until[0] + timedelta(days=1))  # a date UNTIL includes its whole day
            continue
        step = _STEPS.get(parts.get("FREQ", ""))
        by_parts = {name for name in parts if name.startswith("BY")}
        if "COUNT" not in parts or step is None or not by_parts <= {"BYDAY"}:
            return None  # without a bound on periods per occurrence, the count says nothing
        try:
            periods = int(parts["COUNT"]) * int(parts.get("INTERVAL") or 1)
            latest = max(latest, start + periods * step)
        except (ValueError, OverflowError):
            return None
    return latest


def _moment(value: str) -> tuple[datetime, bool] | None:
    """(naive moment, is a date); times with Z are exact UTC, others are within the slack."""
    value = value.strip()
    try:
        if len(value) == 8 and value.isdigit():
            return datetime(int(value[:4]), int(value[4:6]), int(value[6:8])), True
        if len(value) in (15, 16) and value[8] == "T" and (len(value) == 15 or value[15] in "Zz"):
            digits = value[:8] + value[9:15]
            if digits.isdigit():
                numbers = (int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
                return datetime(*numbers, int(digits[8:10]), int(digits[10:12]), int(digits[12:14])), False
    except ValueError:
        return None
    return None  # a period, a list or something odd: let icalendar judge


def _duration(value: str) -> timedelta | None:
    match = _DURATION.match(value.strip().upper())
    if match is None:
        return None
    weeks, days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)


def _value(rest: str) -> str:
    """The value of ``;PARAMS:value`` (or ``:value``); a colon inside a quoted parameter does not count."""
    if '"' not in rest:
        return rest.partition(":")[2]
    quoted = False
    for position, char in enumerate(rest):
        if char == '"':
            quoted = not quoted
        elif char == ":" and not quoted:
            return rest[position + 1 :]
    return ""


def _naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)
