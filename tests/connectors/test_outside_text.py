"""The one sanitiser for outside text, and the two places every connector's text passes through it."""

from __future__ import annotations

import sys
import unicodedata

import pytest

from connectors.errors import ConnectorError, ErrorKind
from connectors.outside_text import PLACEHOLDER, clean, clean_data, is_clean
from connectors.types import CheckResult

# What hostile servers send, by name; every one must come out without the dangerous character.
HOSTILE = {
    "OSC 52 clipboard write": "\x1b]52;c;cHduZWQ=\x07",
    "OSC 0 window title": "\x1b]0;pwned\x07",
    "OSC 2 window title, ST-terminated": "\x1b]2;pwned\x1b\\",
    "clear screen": "\x1b[2J\x1b[H",
    "C1 CSI clear screen": "\u009b2J",
    "C1 OSC title": "\u009d0;pwned\u009c",
    "bidi override": "\u202eevil\u202c",
    "bidi isolate": "\u2066x\u2069",
    "bell": "\x07",
    "backspace": "abc\x08\x08\x08",
    "carriage return": "shown\rhidden",
    "DEL": "\x7f",
    "zero-width space": "pay\u200bpal",
    "BOM": "\ufeffname",
    "tag characters": "hi\U000e0049\U000e0047\U000e004e",
    "line separator": "one\u2028two",
    "lone surrogate": "bad\udcff",
}


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_text_keeps_no_control_format_or_invisible_character(text: str) -> None:
    cleaned = clean(text)
    assert all(unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Zl", "Zp") for ch in cleaned), repr(cleaned)
    assert PLACEHOLDER in cleaned
    cleaned.encode("utf-8")  # printable: a lone surrogate would raise here


def test_ordinary_text_is_left_alone() -> None:
    for text in (
        "Team calendar",
        "Réunion à 9 h",
        "会议室 4",
        "שלום",
        "👨\u200d👩\u200d👧 Family",
        "[/x] [b]b[/b]",
        "a\u00a0b",
    ):
        assert clean(text) == text
        assert is_clean(text)


def test_the_placeholder_shows_where_something_was_removed() -> None:
    assert clean("a\x1b[31mred") == f"a{PLACEHOLDER}[31mred"


def test_multiline_keeps_newline_and_tab_only() -> None:
    assert clean("one\r\ntwo\tthree\x1b]0;t\x07", multiline=True) == f"one\ntwo\tthree{PLACEHOLDER}]0;t{PLACEHOLDER}"
    assert clean("one\ntwo\tthree") == f"one{PLACEHOLDER}two{PLACEHOLDER}three"
    assert clean("over\rwrite", multiline=True) == f"over{PLACEHOLDER}write"


def test_non_strings_become_strings() -> None:
    assert clean(None) == ""
    assert clean(42) == "42"


def test_clean_data_reaches_every_string() -> None:
    data = {"name\x1b": ["a\x07", ("b\u202e", 3)], "n": None}
    assert clean_data(data) == {f"name{PLACEHOLDER}": [f"a{PLACEHOLDER}", (f"b{PLACEHOLDER}", 3)], "n": None}


def test_the_written_out_ranges_cover_what_this_python_calls_control_or_format() -> None:
    kept = {"\u200c", "\u200d"}  # joiners: spelling in several scripts and emoji sequences
    missed = [
        f"U+{point:04X}"
        for point in range(sys.maxunicode + 1)
        if unicodedata.category(chr(point)) in ("Cc", "Cf", "Cs", "Zl", "Zp")
        and chr(point) not in kept
        and is_clean(chr(point))
    ]
    assert missed == []


def test_a_connector_error_cleans_what_the_server_said() -> None:
    error = ConnectorError(ErrorKind.SERVER, "The server said: \x1b]52;c;eA==\x07", hint="Try \u202eagain")
    assert "\x1b" not in str(error) and "\x07" not in error.message and "\u202e" not in error.hint
    assert "\x1b" not in error.to_dict()["message"]  # type: ignore[operator]


def test_a_check_result_cleans_every_line_it_shows() -> None:
    result = CheckResult(summary="\x1b]0;t\x07Team", details=("Next: \u009b2J",), warnings=("\u202eoops",))
    assert result.summary == f"{PLACEHOLDER}]0;t{PLACEHOLDER}Team"
    assert all(is_clean(line) for line in (*result.details, *result.warnings))


def test_a_calendar_event_cleans_what_people_and_assistants_read_and_keeps_its_uid() -> None:
    from datetime import date

    from connectors.calendar_events import CalendarEvent

    event = CalendarEvent(
        "uid\x1b",
        "\x1b]52;c;eA==\x07Standup",
        date(2026, 1, 5),
        date(2026, 1, 6),
        True,
        location="Room \u202e4",
        calendar="\u009b2JTeam",
    )
    assert event.summary == f"{PLACEHOLDER}]52;c;eA=={PLACEHOLDER}Standup"
    assert event.location == f"Room {PLACEHOLDER}4" and event.calendar == f"{PLACEHOLDER}2JTeam"
    assert event.uid == "uid\x1b"  # it names the event to the server: left as sent
    assert CalendarEvent.from_dict(event.to_dict()) == event
