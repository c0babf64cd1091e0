"""Everything the command line prints passes through the outside-text sanitiser.

Labels, calendar names, server errors and stored status details reach dozens of print calls;
cleaning at the stream instead of at each call means a new print cannot forget it, and text
stored by an older version of tether is made safe on the way out as well. tether's own output
never needs a control character other than newline and tab.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from connectors.outside_text import clean


class CleanWriter:
    """A text stream that writes through ``clean(..., multiline=True)``; anything else goes to the real stream."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        self.stream.write(clean(text, multiline=True))
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


@contextmanager
def clean_output(*, stdout: bool = True, stderr: bool = True) -> Iterator[None]:
    """Wrap sys.stdout and/or sys.stderr for the duration, then put back what was there."""
    saved = sys.stdout, sys.stderr
    if stdout and not isinstance(sys.stdout, CleanWriter):
        sys.stdout = CleanWriter(sys.stdout)
    if stderr and not isinstance(sys.stderr, CleanWriter):
        sys.stderr = CleanWriter(sys.stderr)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved
