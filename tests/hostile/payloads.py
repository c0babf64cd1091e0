"""What hostile servers send, and how a test recognises that none of it reached a person's terminal."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

# Each sequence a feed or server used against a terminal (and a label used against Rich markup).
SEQUENCES = {
    "OSC 52 clipboard write": "\x1b]52;c;cHduZWQ=\x07",
    "OSC 0 window title": "\x1b]0;pwned-title\x07",
    "OSC 2 window title": "\x1b]2;pwned-title\x1b\\",
    "clear screen": "\x1b[2J\x1b[3J\x1b[H",
    "C1 CSI clear screen": "\u009b2J",
    "C1 OSC clipboard write": "\u009d52;c;cHduZWQ=\u009c",
    "bidi override": "\u202eevil\u202c",
    "bidi isolate": "\u2067x\u2069",
}
ALL_SEQUENCES = "".join(SEQUENCES.values())
MARKUP = "[/x] [b]b[/b] [@click=app.quit]Q[/]"

# Characters that must never reach a terminal from outside text: C0 except newline and tab, DEL,
# C1, bidi controls. (UTF-8 continuation bytes are fine: this looks at decoded characters.)
_FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def forbidden(text: str) -> list[str]:
    """The first forbidden characters in ``text``, with a little context each, for an assertion message."""
    return [repr(text[max(0, m.start() - 15) : m.end() + 15]) for m in _FORBIDDEN.finditer(text)][:5]


def hostile(name: str) -> str:
    """A field value: a readable name, every sequence, then markup that must stay literal."""
    return f"{name}{ALL_SEQUENCES}{MARKUP}"


def _ics_text(value: str) -> str:
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")


def hostile_feed(now: datetime | None = None) -> bytes:
    """A valid feed whose calendar name, summary and location carry every sequence."""
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    start = now + timedelta(days=1)

    def stamp(moment: datetime) -> str:
        return moment.strftime("%Y%m%dT%H%M%SZ")

    return "\r\n".join(
        [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//tether tests//hostile//EN",
            f"X-WR-CALNAME:{_ics_text(hostile('Calname [/nope]'))}",
            "BEGIN:VEVENT",
            "UID:hostile@tests",
            f"DTSTAMP:{stamp(now)}",
            f"DTSTART:{stamp(start)}",
            f"DTEND:{stamp(start + timedelta(hours=1))}",
            f"SUMMARY:{_ics_text(hostile('Summary'))}",
            f"LOCATION:{_ics_text(hostile('Location'))}",
            "END:VEVENT",
            "END:VCALENDAR",
            "",
        ]
    ).encode()
