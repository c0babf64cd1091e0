"""Expanding recurring series within a Budget.

recurring-ical-events asks dateutil for every occurrence of a window at once and
dateutil walks each rule from its DTSTART: an endless ``FREQ=SECONDLY`` series
costs gigabytes and minutes. Here every series' start is first moved forward, by
whole periods of its rule, to just before the window, so nothing is walked that
cannot be shown; a series whose rule can be dense (more than one occurrence a day)
is expanded in growing slices of the window and cut after the per-series cap.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
import math
from datetime import date, datetime, time, timedelta
from typing import Any

from connectors.calendar_events import as_aware
from connectors.errors import ConnectorError
from connectors.ical.budget import Budget

_DENSE_FREQS = {"SECONDLY": timedelta(seconds=1), "MINUTELY": timedelta(minutes=1), "HOURLY": timedelta(hours=1)}
_DAILY_FREQS = {"DAILY": timedelta(days=1), "WEEKLY": timedelta(weeks=1)}
_DENSE_PARTS = ("BYHOUR", "BYMINUTE", "BYSECOND")
_MARGIN = timedelta(hours=3)
_DATE_MARGIN = timedelta(days=2)  # wall clock against real time: no zone moves its clocks by more
_FIRST_SLICE = timedelta(hours=1)
_MAX_WALK = 500_000  # candidate times dateutil may walk before the window: about 2.5 s  # at most 3,600 occurrences, even for SECONDLY


def expand_series(calendar: Any, start: datetime, end: datetime, budget: Budget) -> tuple[list[Any], list[str]]:
    """Occurrence components of every series in ``calendar`` within [start, end), capped."""
    groups = _groups(calendar)
    dense = {uid for uid, events in groups.items() if any(_is_dense(event) for event in events)}
    try:
        moved, warnings = _fast_forwarded(calendar, start)
        query = _query(moved)
    except Exception:  # one series the expander cannot read: go series by series
        return _one_by_one(calendar, groups, dense, start, end, budget)
    occurrences: list[Any] = []
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
            moved, skipped = _fast_forwarded(small, start)
            warnings += skipped
            for series in _query(moved).series:
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


def _fast_forwarded(calendar: Any, start: datetime) -> tuple[Any, list[str]]:
    """A copy of ``calendar`` whose series start shortly before ``start``; warnings for
    series too dense to expand at all (they are left out).

    Moving DTSTART by whole periods of the rule keeps every later occurrence where it
    was (a COUNT shrinks by the periods skipped); the margin (the event's length plus a
    few hours for daylight-saving changes) keeps an occurrence that lasts into the window.
    """
    import icalendar

    replaced: dict[int, Any] = {}
    dropped: set[str] = set()
    warnings: list[str] = []
    for component in calendar.walk("VEVENT"):
        uid = str(component.get("UID"))
        if "RRULE" in component:
            try:
                replaced[id(component)] = _moved_forward(component, start)
            except _TooDense:
                dropped.add(uid)
                warnings.append(f"Skipped event {_title([component])}: it repeats too often to expand.")
    moved = icalendar.Calendar()
    moved.update(calendar)
    for component in calendar.subcomponents:
        if component.name == "VEVENT" and str(component.get("UID")) in dropped:
            continue
        moved.add_component(replaced.get(id(component), component))
    return moved, warnings


class _TooDense(Exception):
    pass


def _moved_forward(event: Any, start: datetime) -> Any:
    rules = _rules(event)
    try:
        first = event.DTSTART
        length = max(as_aware(event.end) - as_aware(first), timedelta(0))
    except Exception:
        return event  # reported as unreadable elsewhere
    is_date = not isinstance(first, datetime)
    wall = datetime.combine(first, time.min) if is_date else first.replace(tzinfo=None)
    zone = None if is_date else first.tzinfo
    local_start = as_aware(start).astimezone(zone) if zone is not None else as_aware(start).astimezone()
    target = local_start.replace(tzinfo=None) - length - (_DATE_MARGIN if is_date else _MARGIN)
    if not rules or target <= wall:
        return event
    rule = rules[0]
    moved_to = _new_start(rule, wall, target) if len(rules) == 1 and "BYSETPOS" not in rule else None
    if moved_to is None:
        if _walk(rules, target - wall) > _MAX_WALK:
            raise _TooDense
        return event
    new_wall, skipped = moved_to
    if new_wall == wall:
        return event
    moved = event.copy()
    if skipped:  # one occurrence per period: the periods skipped use up the count
        moved["RRULE"] = _with_count(rule, int(rule["COUNT"][0]) - skipped)
    shift = new_wall - wall
    moved.DTSTART = new_wall.date() if is_date else new_wall.replace(tzinfo=zone)
    if "DTEND" in event:
        end = event.DTEND
        if isinstance(end, datetime):
            moved.DTEND = (end.replace(tzinfo=None) + shift).replace(tzinfo=end.tzinfo)
        else:
            moved.DTEND = end + shift
    return moved


def _new_start(rule: Any, wall: datetime, target: datetime) -> tuple[datetime, int] | None:
    """A start on the rule's grid shortly before ``target``, and the occurrences skipped
    (counted only under COUNT); None when the rule cannot be moved safely."""
    freq = str((rule.get("FREQ") or [""])[0]).upper()
    interval = int((rule.get("INTERVAL") or [1])[0])
    has_count = "COUNT" in rule
    unit = _DENSE_FREQS.get(freq) or _DAILY_FREQS.get(freq)
    if unit is not None:
        if has_count and any(name.startswith("BY") for name in rule):
            return None  # several occurrences per period: the count cannot be split
        step = unit * interval
        periods = (target - wall) // step
        if has_count:
            periods = min(periods, int(rule["COUNT"][0]) - 1)
        return wall + periods * step, periods if has_count else 0
    if freq not in ("MONTHLY", "YEARLY") or has_count:
        return None
    years = interval if freq == "YEARLY" else math.lcm(interval, 12) // 12
    periods = (target.year - wall.year - 1) // years
    if periods <= 0:
        return wall, 0
    try:
        return wall.replace(year=wall.year + periods * years), 0
    except ValueError:  # 29 February
        return None


def _with_count(rule: Any, count: int) -> Any:
    from icalendar.prop import vRecur

    changed = vRecur(dict(rule))
    changed["COUNT"] = [count]
    return changed


def _walk(rules: list[Any], before: timedelta) -> float:
    """About how many candidate times dateutil walks to reach the window."""
    total = 0.0
    for rule in rules:
        freq = str((rule.get("FREQ") or [""])[0]).upper()
        unit = _DENSE_FREQS.get(freq) or _DAILY_FREQS.get(freq) or timedelta(days=28)
        per_period = 1
        for part in _DENSE_PARTS:
            per_period *= max(1, len(rule.get(part) or []))
        total += before / unit * per_period
    return total


def _title(events: Iterable[Any]) -> str:
    for event in events:
        summary = " ".join(str(event.get("SUMMARY") or "").split())
        if summary:
            return repr(summary if len(summary) <= 40 else summary[:39] + "…")
    return "(no title)"


def _reason(exc: Exception) -> str:
    text = " ".join((str(exc).strip().rstrip(".") or type(exc).__name__).split())
    return text if len(text) <= 80 else text[:79] + "…"
