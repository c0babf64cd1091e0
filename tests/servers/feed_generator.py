"""Seeded iCalendar feeds: a realistic large one for the benchmark, tricky small ones for tests.

Everything depends only on the ``random.Random`` passed in, so a seed gives the same
feed every time. The tricky parts come from what real feeds contain: TZID times with
a VTIMEZONE across daylight-saving changes, floating and all-day events, DURATION
instead of DTEND, events that start before a window and last into it, RRULE with
EXDATE and RDATE, RECURRENCE-ID overrides (some moved far from their original
time), and long lines folded at 75 octets.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

BERLIN_VTIMEZONE = [
    "BEGIN:VTIMEZONE",
    "TZID:Europe/Berlin",
    "BEGIN:DAYLIGHT",
    "TZOFFSETFROM:+0100",
    "TZOFFSETTO:+0200",
    "TZNAME:CEST",
    "DTSTART:19700329T020000",
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
    "END:DAYLIGHT",
    "BEGIN:STANDARD",
    "TZOFFSETFROM:+0200",
    "TZOFFSETTO:+0100",
    "TZNAME:CET",
    "DTSTART:19701025T030000",
    "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
    "END:STANDARD",
    "END:VTIMEZONE",
]
_WORDS = [
    "budget",
    "review",
    "planning",
    "sync",
    "design",
    "call",
    "lunch",
    "offsite",
    "retro",
    "demo",
    "interview",
    "training",
    "standup",
]
_RULES = [
    "FREQ=WEEKLY",
    "FREQ=WEEKLY;BYDAY=MO,WE,FR",
    "FREQ=DAILY;INTERVAL=3",
    "FREQ=MONTHLY;BYMONTHDAY=15",
    "FREQ=WEEKLY;INTERVAL=2;COUNT=40",
    "FREQ=YEARLY",
    "FREQ=MONTHLY;BYDAY=-1FR",
]


def generate_feed(
    rng: random.Random,
    *,
    events: int,
    first_day: date,
    days: int,
    recurring_share: float = 0.05,
    description_chars: int = 300,
    tricky: bool = True,
) -> bytes:
    """A VCALENDAR of ``events`` events spread over ``days`` days from ``first_day``."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//tether tests//generated//EN", "X-WR-CALNAME:Generated"]
    lines += BERLIN_VTIMEZONE
    for number in range(events):
        day = first_day + timedelta(days=rng.randrange(days))
        if rng.random() < recurring_share:
            lines += _series(rng, number, day, description_chars, tricky)
        else:
            lines += _single(rng, number, day, description_chars, tricky)
    lines.append("END:VCALENDAR")
    return ("\r\n".join(_fold(line) for line in lines) + "\r\n").encode()


def _single(rng: random.Random, number: int, day: date, chars: int, tricky: bool) -> list[str]:
    kind = rng.choice(["tzid", "utc", "floating", "allday", "long", "duration"] if tricky else ["tzid"])
    hour, minute = rng.randrange(7, 20), rng.choice([0, 15, 30, 45])
    moment = datetime(day.year, day.month, day.day, hour, minute)
    length = timedelta(minutes=rng.choice([15, 30, 60, 90]))
    if kind == "allday":
        span = rng.choice([1, 1, 2, 5])
        times = [f"DTSTART;VALUE=DATE:{day:%Y%m%d}", f"DTEND;VALUE=DATE:{day + timedelta(days=span):%Y%m%d}"]
    elif kind == "utc":
        times = [f"DTSTART:{moment:%Y%m%dT%H%M%S}Z", f"DTEND:{moment + length:%Y%m%dT%H%M%S}Z"]
    elif kind == "floating":
        times = [f"DTSTART:{moment:%Y%m%dT%H%M%S}", f"DTEND:{moment + length:%Y%m%dT%H%M%S}"]
    elif kind == "long":  # starts well before a window and lasts into it
        times = [f"DTSTART;TZID=Europe/Berlin:{moment:%Y%m%dT%H%M%S}", f"DURATION:P{rng.randrange(3, 20)}DT2H"]
    elif kind == "duration":
        times = [f"DTSTART;TZID=Europe/Berlin:{moment:%Y%m%dT%H%M%S}", "DURATION:PT45M"]
    else:
        times = [
            f"DTSTART;TZID=Europe/Berlin:{moment:%Y%m%dT%H%M%S}",
            f"DTEND;TZID=Europe/Berlin:{moment + length:%Y%m%dT%H%M%S}",
        ]
    return _event(rng, f"single-{number}@generated", times, chars)


def _series(rng: random.Random, number: int, day: date, chars: int, tricky: bool) -> list[str]:
    uid = f"series-{number}@generated"
    moment = datetime(day.year, day.month, day.day, rng.randrange(7, 20), rng.choice([0, 30]))
    zone = rng.choice(["tzid", "tzid", "utc", "floating", "allday"] if tricky else ["tzid"])

    def stamp(when: datetime) -> str:
        if zone == "allday":
            return f";VALUE=DATE:{when:%Y%m%d}"
        if zone == "utc":
            return f":{when:%Y%m%dT%H%M%S}Z"
        if zone == "floating":
            return f":{when:%Y%m%dT%H%M%S}"
        return f";TZID=Europe/Berlin:{when:%Y%m%dT%H%M%S}"

    length = timedelta(days=1) if zone == "allday" else timedelta(minutes=rng.choice([30, 60]))
    rule = rng.choice(_RULES)
    times = [f"DTSTART{stamp(moment)}", f"DTEND{stamp(moment + length)}", f"RRULE:{rule}"]
    if tricky and rule.startswith("FREQ=WEEKLY") and "BYDAY" not in rule:
        if rng.random() < 0.5:
            times.append(f"EXDATE{stamp(moment + timedelta(days=7 * rng.randrange(1, 30)))}")
        if rng.random() < 0.3:
            times.append(f"RDATE{stamp(moment + timedelta(days=rng.randrange(1, 400), hours=1))}")
    lines = _event(rng, uid, times, chars)
    if tricky and rule.startswith("FREQ=WEEKLY") and "BYDAY" not in rule and rng.random() < 0.6:
        original = moment + timedelta(days=7 * rng.randrange(1, 60))
        # Some overrides move an occurrence by a day, some by months (into or out of any window).
        moved = original + timedelta(days=rng.choice([0, 1, -1, 90, -90, 200]), hours=rng.choice([0, 2]))
        override = [f"RECURRENCE-ID{stamp(original)}", f"DTSTART{stamp(moved)}", f"DTEND{stamp(moved + length)}"]
        lines += _event(rng, uid, override, chars, moved=True)
    return lines


def _event(rng: random.Random, uid: str, times: list[str], chars: int, *, moved: bool = False) -> list[str]:
    title = " ".join(rng.choice(_WORDS) for _ in range(rng.randrange(1, 4))).capitalize()
    description = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz     ,.") for _ in range(chars))
    return [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        "DTSTAMP:20250101T000000Z",
        *times,
        f"SUMMARY:{title}{' (moved)' if moved else ''}",
        f"DESCRIPTION:{description}",
        f"LOCATION:Room {rng.randrange(1, 40)}",
        "END:VEVENT",
    ]


def _fold(line: str) -> str:
    """RFC 5545 folding: lines longer than 75 octets continue on lines starting with a space."""
    if len(line) <= 75:
        return line
    parts = [line[:75]]
    rest = line[75:]
    while rest:
        parts.append(" " + rest[:74])
        rest = rest[74:]
    return "\r\n".join(parts)


def benchmark_feed(seed: int = 20261201, today: date | None = None) -> bytes:
    """The feed of the performance goal: 12,000 events over five years ending half a year
    after ``today``, one in twenty recurring, 300-character descriptions (about 5.7 MB)."""
    today = today or datetime.now(UTC).date()
    first = today - timedelta(days=round(4.5 * 365))
    return generate_feed(random.Random(seed), events=12_000, first_day=first, days=5 * 365)
