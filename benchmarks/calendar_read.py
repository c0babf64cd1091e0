"""What reading a week of a large iCal feed costs, against icalendar's own full parse.

    python benchmarks/calendar_read.py [--seed 20261201] [--rounds 5] [--days 7]
    python benchmarks/calendar_read.py --endless MINUTELY   # one endless-RRULE check, as JSON

1. Generates the feed of the performance goal with a fixed seed (12,000 events over five
   years, one in twenty recurring, a VTIMEZONE, TZID times, 300-character descriptions),
   serves it on loopback with an ETag, and measures in one run:
   - the anchor: ``icalendar.Calendar.from_ical`` on the whole body plus
     ``recurring_ical_events.of(...).between`` for the window;
   - tether's first read (``connectors.ical.check.read_events``, empty cache, fetch included);
   - tether's repeated read (the server answers 304; median of ``repeats``).
   The anchor and the first read take the best of ``rounds``; wall-clock and CPU
   seconds are both shown, since a busy machine stretches wall-clock time unevenly.
   Goals: first read <= 0.15x the anchor, repeated read <= 0.02x and <= 50 ms.
2. ``endless_rrule_check(freq)`` checks a 250-byte feed whose only event repeats every
   minute (or second) without end, in a fresh process, and returns its wall time and
   peak RSS. Goal: <= 5 s and <= 200 MB. benchmarks/bounds.py calls it.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FIRST_GOAL = 0.15
REPEAT_GOAL = 0.02
REPEAT_LIMIT = 0.050
ENDLESS_SECONDS = 5.0
ENDLESS_MB = 200.0


def endless_feed(freq: str) -> bytes:
    """A feed of about 250 bytes: one event, repeating every ``freq`` period since 2020, forever."""
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//tether benchmark//endless//EN\r\n"
        "BEGIN:VEVENT\r\nUID:endless@benchmark\r\nDTSTAMP:20200101T000000Z\r\n"
        "DTSTART:20200101T000000Z\r\nDTEND:20200101T000001Z\r\n"
        f"RRULE:FREQ={freq}\r\nSUMMARY:Tick\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


def endless_rrule_check(freq: str = "MINUTELY", timeout: float = 15.0) -> dict[str, Any]:
    """Check the endless feed in a fresh process; wall time, peak RSS (MB), summary and warnings."""
    answer = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--endless", freq, "--timeout", str(timeout)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(answer.stdout.strip().splitlines()[-1])


def _peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM rather than ru_maxrss, which keeps the peak of
    the process this one was forked from."""
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _endless_child(freq: str, timeout: float) -> None:
    from connectors.errors import ConnectorError
    from connectors.ical.check import check_feed
    from connectors.types import CheckRequest
    from tests.servers.feeds import start_feed_server

    server = start_feed_server(None)
    body = endless_feed(freq)
    url = server.publish("/endless.ics", body)
    started = time.perf_counter()
    try:
        result = check_feed(CheckRequest({"url": url}, {}, timeout=timeout))
        summary, warnings = result.summary, list(result.warnings)
    except ConnectorError as exc:
        summary, warnings = f"error: {exc}", []
    seconds = time.perf_counter() - started
    server.close()
    peak = _peak_rss_mb()
    print(
        json.dumps(
            {
                "freq": freq,
                "bytes": len(body),
                "seconds": seconds,
                "peak_rss_mb": peak,
                "summary": summary,
                "warnings": warnings,
            }
        )
    )


@dataclass
class Timing:
    """Wall-clock and CPU seconds of one measurement (CPU time shows the work itself on a busy machine)."""

    wall: float
    cpu: float

    @classmethod
    def of(cls, action: Callable[[], Any]) -> tuple[Timing, Any]:
        wall, cpu = time.perf_counter(), time.process_time()
        result = action()
        return cls(time.perf_counter() - wall, time.process_time() - cpu), result


def _anchor(body: bytes, start: datetime, end: datetime) -> tuple[Timing, Timing, int]:
    import icalendar
    import recurring_ical_events

    parse, calendar = Timing.of(lambda: icalendar.Calendar.from_ical(body))
    expand, found = Timing.of(lambda: recurring_ical_events.of(calendar).between(start, end))
    return parse, expand, len(found)


def _best(timings: list[Timing]) -> Timing:
    """The least disturbed of several rounds."""
    return Timing(min(t.wall for t in timings), min(t.cpu for t in timings))


def _median(timings: list[Timing]) -> Timing:
    return Timing(statistics.median(t.wall for t in timings), statistics.median(t.cpu for t in timings))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the anchor and of the first read")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--endless", choices=["SECONDLY", "MINUTELY", "HOURLY"])
    parser.add_argument("--timeout", type=float, default=15.0)
    args = parser.parse_args()
    if args.endless:
        _endless_child(args.endless, args.timeout)
        return 0

    from connectors.ical.cache import FEEDS
    from connectors.ical.check import read_events
    from tests.servers.feed_generator import benchmark_feed
    from tests.servers.feeds import start_feed_server

    now = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start, end = now, now + timedelta(days=args.days)
    body = benchmark_feed(args.seed, now.date())
    server = start_feed_server(None)
    settings = {"url": server.publish("/big.ics", body)}
    try:
        anchors = [_anchor(body, start, end) for _ in range(args.rounds)]
        firsts: list[Timing] = []
        for _ in range(args.rounds):
            FEEDS.clear()  # a first read: nothing known about the feed
            timing, first = Timing.of(lambda: read_events(settings, {}, start, end))
            firsts.append(timing)
        repeats: list[Timing] = []
        for _ in range(args.repeats):
            timing, again = Timing.of(lambda: read_events(settings, {}, start, end))
            repeats.append(timing)
        statuses = [status for path, status in server.statuses if path == "/big.ics"]
    finally:
        server.close()
    parse, expand = _best([a[0] for a in anchors]), _best([a[1] for a in anchors])
    anchor = Timing(parse.wall + expand.wall, parse.cpu + expand.cpu)
    first_t, repeat_t = _best(firsts), _median(repeats)
    same = [event.to_dict() for event in again] == [event.to_dict() for event in first]
    first_ok = first_t.wall <= FIRST_GOAL * anchor.wall or first_t.cpu <= FIRST_GOAL * anchor.cpu
    repeat_ok = repeat_t.wall <= REPEAT_GOAL * anchor.wall and repeat_t.wall <= REPEAT_LIMIT
    print(f"feed: {len(body) / 1e6:.1f} MB, seed {args.seed}, window {start:%Y-%m-%d} + {args.days} days")
    print(f"{'':34}{'wall s':>9}{'ratio':>8}{'cpu s':>9}{'ratio':>8}")
    rows = [
        ("anchor: icalendar parse", parse, None),
        ("anchor: recurring-ical-events", expand, None),
        ("anchor: total", anchor, anchor),
        ("tether first read (with fetch)", first_t, anchor),
        ("tether repeated read (median)", repeat_t, anchor),
    ]
    for name, timing, base in rows:
        ratios = (
            f"{timing.wall / base.wall:8.3f}{timing.cpu:9.3f}{timing.cpu / base.cpu:8.3f}"
            if base
            else f"{'':8}{timing.cpu:9.3f}"
        )
        print(f"{name:34}{timing.wall:9.3f}{ratios}")
    print(f"goal first read <= {FIRST_GOAL} x anchor: {'met' if first_ok else 'MISSED'}")
    print(
        f"goal repeated read <= {REPEAT_GOAL} x anchor and <= {REPEAT_LIMIT * 1000:.0f} ms: "
        f"{'met' if repeat_ok else 'MISSED'}"
    )
    print(
        f"occurrences: anchor {anchors[0][2]}, tether {len(first)}; repeated read identical: {same}; "
        f"server answers: {statuses.count(200)}x 200, {statuses.count(304)}x 304"
    )
    return 0 if first_ok and repeat_ok and same else 1


if __name__ == "__main__":
    raise SystemExit(main())
