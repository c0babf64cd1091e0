"""Whether a recurring event can have an occurrence near a window, from its raw text.

Most series in a big feed recur monthly or yearly, or ended long ago: for a week's
window, about half of them have no occurrence in it, yet icalendar would parse them
and recurring-ical-events expand them. ``RuleCheck`` asks dateutil (the engine
recurring-ical-events uses) with the rule's start moved forward to just before the
window, on naive wall-clock times with a day of slack. Whenever anything is unusual
the answer is "maybe", and the series is parsed: correctness first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

_SLACK = timedelta(days=1, hours=2)  # as in split: any zone's offset, and then some
_STEPS = {
    "SECONDLY": timedelta(seconds=1),
    "MINUTELY": timedelta(minutes=1),
    "HOURLY": timedelta(hours=1),
    "DAILY": timedelta(days=1),
    "WEEKLY": timedelta(weeks=1),
}
_MAX_WALK = 5_000  # periods dateutil may walk for one answer; beyond that, "maybe"


@dataclass(frozen=True)
class RuleCheck:
    rules: tuple[str, ...]  # RRULE values as written
    start: datetime  # DTSTART, naive wall clock (midnight for a date)
    length: timedelta
    rdates: tuple[datetime, ...] = ()

    def may_touch(self, low: datetime, high: datetime) -> bool:
        """False only when surely no occurrence overlaps [low, high] (naive, UTC give or take the slack)."""
        earliest, latest = low - _SLACK - self.length, high + _SLACK
        if any(earliest <= moment <= latest for moment in (self.start, *self.rdates)):
            return True
        return any(_rule_may_touch(rule, self.start, earliest, latest) for rule in self.rules)


def _rule_may_touch(text: str, start: datetime, earliest: datetime, latest: datetime) -> bool:
    from dateutil.rrule import rrulestr

    try:
        parts = {name.upper(): value for name, _, value in (part.partition("=") for part in text.strip().split(";"))}
        moved = _moved_start(parts, start, earliest)
        if moved is None:
            return True
        if "UNTIL" in parts:  # UTC or not: a day later is safe either way
            parts["UNTIL"] = _later_until(parts["UNTIL"])
        rule = rrulestr(";".join(f"{name}={value}" for name, value in parts.items()), dtstart=moved, ignoretz=True)
        found = rule.after(earliest, inc=True)
    except Exception:  # anything dateutil cannot read: let the full path judge
        return True
    return found is not None and found <= latest


def _moved_start(parts: dict[str, str], start: datetime, earliest: datetime) -> datetime | None:
    """A start on the rule's grid at most a period before ``earliest``; None when that is not safe."""
    if earliest <= start:
        return start
    freq = parts.get("FREQ", "").upper()
    interval = int(parts.get("INTERVAL") or 1)
    step = _STEPS.get(freq)
    if "COUNT" in parts or "BYSETPOS" in parts:
        density = 1
        for name in ("BYHOUR", "BYMINUTE", "BYSECOND", "BYDAY", "BYMONTHDAY", "BYYEARDAY"):
            density *= len(parts.get(name, "x").split(","))
        walk = (earliest - start) / (step or timedelta(days=28)) / interval * density
        return start if walk <= _MAX_WALK else None  # the count starts at DTSTART: walk from there
    if step is not None:
        return start + ((earliest - start) // (step * interval)) * step * interval
    if freq in ("MONTHLY", "YEARLY"):
        years = interval if freq == "YEARLY" else _lcm(interval, 12) // 12
        periods = (earliest.year - start.year - 1) // years
        if periods <= 0:
            return start
        try:
            return start.replace(year=start.year + periods * years)
        except ValueError:  # 29 February
            return None
    return None


def _later_until(value: str) -> str:
    value = value.strip().upper().rstrip("Z")
    try:
        moment = datetime.strptime(value[:8], "%Y%m%d") + timedelta(days=2)
    except ValueError:
        return value
    return moment.strftime("%Y%m%dT%H%M%S")


def _lcm(a: int, b: int) -> int:
    import math

    return math.lcm(a, b)
