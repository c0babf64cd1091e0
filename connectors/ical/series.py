"""Expanding recurring series within a Budget.

recurring-ical-events asks dateutil for every occurrence of a window at once and
dateutil walks each rule from its DTSTART: an endless ``FREQ=SECONDLY`` series
costs gigabytes and minutes. Here a series whose rule can be dense (more than one
occurrence a day) is expanded in growing slices of the window and cut after the
per-series cap, and its start is first moved forward, by whole periods of the rule,
to just before the window, so nothing is walked that cannot be shown.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from connectors.calendar_events import as_aware
from connectors.errors import ConnectorError
from connectors.ical.budget import Budget

_DENSE_FREQS = {"SECONDLY": timedelta(seconds=1), "MINUTELY": timedelta(minutes=1), "HOURLY": timedelta(hours=1)}
_DAILY_FREQS = {"DAILY": timedelta(days=1), "WEEKLY": timedelta(weeks=1)}
_DENSE_PARTS = ("BYHOUR", "BYMINUTE", "BYSECOND")
_FIRST_SLICE = timedelta(hours=1)  # at most 3,600 occurrences, even for SECONDLY


def expand_series(calendar: Any, start: datetime, end: datetime, budget: Budget) -> tuple[list[Any], list[str]]:
    """Occurrence components of every series in ``calendar`` within [start, end), capped."""
    groups = _groups(calendar)
    dense = {uid for uid, events in groups.items() if any(_is_dense(event) for event in events)}
    try:
        query = _query(_fast_forwarded(calendar, dense, start))
    except Exception:  # one series the expander cannot read: go series by series
        return _one_by_one(calendar, groups, dense, start, end, budget)
    occurrences: list[Any] = []
    warnings: list[str] = []
    for series in query.series:
        uid = str(series.uid)
        try:
            occurrences += _capped(series, uid in dense, start, end, budget, _title(groups.get(uid, [])))
        except ConnectorError:
            raise  # the deadline passed
        except Exception as exc:
            warnings.append(f"Skipped event {_title(groups.get(uid, []))}: {_reason(exc)}.")
    return occurrences, warnings


def _one_by_one(
    calendar: Any, groups: dict[str, list[Any]], dense: set[str], start: datetime, end: datetime, budget: Budget
) -> tuple[list[Any], list[str]]:
    import icalendar

    zones = calendar.walk("VTIMEZONE")
    occurrences: list[Any] = []
    warnings: list[str] = []
    for uid, events in groups.items():
        small = icalendar.Calendar()
        for component in (*zones, *events):
            small.add_component(component)
        try:
            for series in _query(_fast_forwarded(small, dense, start)).series:
                occurrences += _capped(series, uid in dense, start, end, budget, _title(events))
        except ConnectorError:
            raise  # the deadline passed
        except Exception as exc:
            warnings.append(f"Skipped event {_title(events)}: {_reason(exc)}.")
    return occurrences, warnings


def _query(calendar: Any) -> Any:
    import recurring_ical_events

    return recurring_ical_events.of(calendar, components=["VEVENT"])


def _capped(series: Any, dense: bool, start: datetime, end: datetime, budget: Budget, title: str) -> list[Any]:
    """The series' occurrences, in slices when dense; stops at the per-series and per-call caps."""
    budget.check()
    if budget.full:
        budget.note_call_cap()
        return []
    found: dict[Any, Any] = {}
    slice_length = _FIRST_SLICE if dense else end - start
    cursor = start
    while cursor < end:
        stop = min(cursor + slice_length, end)
        batch = list(series.between(cursor, stop))
        budget.check()
        for occurrence in batch:
            found.setdefault(occurrence.id, occurrence)  # one spanning two slices comes twice
        if len(found) >= budget.per_series:
            budget.note(f"Series {title} cut after {budget.per_series:,} occurrences.")
            break
        if len(batch) < budget.per_series // 10:
            slice_length *= 4
        cursor = stop
    chosen = sorted(found.values(), key=lambda occurrence: _sort_key(occurrence.start))[: budget.per_series]
    granted = budget.take(len(chosen))
    if granted < len(chosen):
        budget.note_call_cap()
    return [occurrence.as_component(False) for occurrence in chosen[:granted]]


def _sort_key(moment: date | datetime) -> datetime:
    return as_aware(moment)


def _groups(calendar: Any) -> dict[str, list[Any]]:
    groups: dict[str, list[Any]] = defaultdict(list)
    for event in calendar.walk("VEVENT"):
        groups[str(event.get("UID"))].append(event)
    return groups


def _rules(event: Any) -> list[Any]:
    value = event.get("RRULE")
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _is_dense(event: Any) -> bool:
    """A rule that may yield more than one occurrence a day (per rule), so the window needs slicing."""
    for rule in _rules(event):
        freq = str((rule.get("FREQ") or [""])[0]).upper()
        if freq in _DENSE_FREQS or any(part in rule for part in _DENSE_PARTS):
            return True
    return False


def _fast_forwarded(calendar: Any, dense: set[str], start: datetime) -> Any:
    """A copy of ``calendar`` whose dense, endless series start shortly before ``start``.

    Moving DTSTART by whole multiples of the rule's step keeps every later occurrence
    where it was; the margin (the event's length plus two days) keeps any occurrence
    that begins before the window but lasts into it.
    """
    if not dense:
        return calendar
    import icalendar

    moved = icalendar.Calendar()
    moved.update(calendar)
    for component in calendar.subcomponents:
        if component.name == "VEVENT" and str(component.get("UID")) in dense and "RRULE" in component:
            component = _moved_forward(component, start)  # noqa: PLW2901
        moved.add_component(component)
    return moved


def _moved_forward(event: Any, start: datetime) -> Any:
    rules = _rules(event)
    if len(rules) != 1 or "COUNT" in rules[0] or "BYSETPOS" in rules[0]:
        return event  # the count starts at DTSTART: nothing may be skipped
    freq = str((rules[0].get("FREQ") or [""])[0]).upper()
    unit = _DENSE_FREQS.get(freq) or _DAILY_FREQS.get(freq)
    try:
        first = event.DTSTART
        length = event.end - first
    except Exception:
        return event
    if unit is None or not isinstance(first, datetime):
        return event
    step = unit * int((rules[0].get("INTERVAL") or [1])[0])
    wall = first.replace(tzinfo=None)
    target = as_aware(start).astimezone(first.tzinfo) if first.tzinfo else as_aware(start).astimezone()
    target = target.replace(tzinfo=None) - max(length, timedelta(0)) - timedelta(days=2)
    periods = (target - wall) // step
    if periods <= 0:
        return event
    shift = periods * step
    moved = event.copy()
    moved.DTSTART = (wall + shift).replace(tzinfo=first.tzinfo)
    if "DTEND" in event:
        moved.DTEND = (event.DTEND.replace(tzinfo=None) + shift).replace(tzinfo=event.DTEND.tzinfo)
    return moved


def _title(events: Iterable[Any]) -> str:
    for event in events:
        summary = " ".join(str(event.get("SUMMARY") or "").split())
        if summary:
            return repr(summary if len(summary) <= 40 else summary[:39] + "…")
    return "(no title)"


def _reason(exc: Exception) -> str:
    text = " ".join((str(exc).strip().rstrip(".") or type(exc).__name__).split())
    return text if len(text) <= 80 else text[:79] + "…"
