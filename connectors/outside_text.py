"""One sanitiser for text that came from outside tether: servers, feeds, certificates, files, labels.

A feed's calendar name or an IMAP server's error text can carry terminal escape sequences
(ESC ] 52 writes the clipboard, ESC ] 0 retitles the window, ESC [ 2 J clears the screen), C1
controls that some terminals obey like ESC (U+009B is a one-character CSI), bidi overrides that
make text read backwards, and invisible characters that hide words. Every such character becomes
one visible placeholder, so the text still shows where something was removed.

``clean`` runs where outside text enters tether (connector results, server errors) and again at
every output (CLI printing, the TUI, the log), so text stored by an older version is safe too.
Pure Python: the connectors, storage and every front end import it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

PLACEHOLDER = "\N{REPLACEMENT CHARACTER}"

# Code point ranges replaced, by Unicode category: Cc (C0, DEL, C1), Cf (format: bidi controls and
# marks, zero-width space, word joiner, BOM, tag characters, ...), Zl/Zp (line and paragraph
# separators, which break a line where tether does not expect it) and Cs (lone surrogates, which
# cannot even be encoded for printing). Written out rather than computed from unicodedata at import,
# which would cost start-up time; a test checks this list against the installed unicodedata.
# Zero-width non-joiner and joiner (U+200C, U+200D) are kept: they cannot move the cursor or reorder
# text, and words in Persian or Indic scripts and emoji such as a family are spelled with them.
_RANGES = (
    (0x0000, 0x001F),  # C0 controls: ESC, BEL, CR, BS, ...
    (0x007F, 0x009F),  # DEL and C1 controls (U+009B is CSI, U+009D is OSC)
    (0x00AD, 0x00AD),  # soft hyphen
    (0x0600, 0x0605),
    (0x061C, 0x061C),  # Arabic letter mark
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x180E, 0x180E),  # Mongolian vowel separator
    (0x200B, 0x200B),  # zero-width space
    (0x200E, 0x200F),  # left-to-right and right-to-left marks
    (0x2028, 0x2029),  # line and paragraph separators
    (0x202A, 0x202E),  # bidi embeddings and overrides (U+202E reverses text)
    (0x2060, 0x2064),  # word joiner, invisible operators
    (0x2066, 0x206F),  # bidi isolates and deprecated format characters
    (0xD800, 0xDFFF),  # surrogates (only ever lone ones in a str)
    (0xFEFF, 0xFEFF),  # byte order mark / zero-width no-break space
    (0xFFF9, 0xFFFB),  # interlinear annotation
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),  # tag characters: invisible ASCII look-alikes that smuggle hidden text
)

_LAYOUT = "\n\t"  # what ``multiline`` keeps


def _pattern(keep: str) -> re.Pattern[str]:
    parts = []
    for first, last in _RANGES:
        for start, end in _split_around(first, last, keep):
            parts.append(re.escape(chr(start)) if start == end else f"{re.escape(chr(start))}-{re.escape(chr(end))}")
    return re.compile(f"[{''.join(parts)}]")


def _split_around(first: int, last: int, keep: str) -> list[tuple[int, int]]:
    """``first..last`` minus the code points in ``keep``, as ranges."""
    pieces, start = [], first
    for point in sorted(ord(ch) for ch in keep if first <= ord(ch) <= last):
        if start < point:
            pieces.append((start, point - 1))
        start = point + 1
    if start <= last:
        pieces.append((start, last))
    return pieces


_ONE_LINE = _pattern("")
_MULTILINE = _pattern(_LAYOUT)


def clean(text: object, *, multiline: bool = False) -> str:
    """``text`` as a string with every control, format and invisible character replaced by the placeholder.

    ``multiline`` keeps newline and tab for places whose layout needs them (a message body, a
    traceback in the log); a carriage return before a newline is dropped, any other one replaced.
    """
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    if multiline:
        text = text.replace("\r\n", "\n")
        return _MULTILINE.sub(PLACEHOLDER, text)
    return _ONE_LINE.sub(PLACEHOLDER, text)


def is_clean(text: str, *, multiline: bool = False) -> bool:
    """Whether ``clean`` would leave ``text`` as it is."""
    return (_MULTILINE if multiline else _ONE_LINE).search(text) is None


def clean_data(value: Any, *, multiline: bool = False) -> Any:
    """Every string inside JSON-like data (dicts, lists, tuples) cleaned, keys too; other values unchanged."""
    if isinstance(value, str):
        return clean(value, multiline=multiline)
    if isinstance(value, Mapping):
        return {
            clean(key) if isinstance(key, str) else key: clean_data(item, multiline=multiline)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [clean_data(item, multiline=multiline) for item in value]
    if isinstance(value, tuple):
        return tuple(clean_data(item, multiline=multiline) for item in value)
    return value
