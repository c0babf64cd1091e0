"""tether's log file, and the mask that keeps every secret out of it.

The mask works two ways: known secret values (registered as soon as tether reads or receives
them) are replaced wherever they appear, and patterns catch the shapes secrets take in text a
library might log: Authorization headers, bearer tokens, passwords and tokens in URLs and
query strings, IMAP LOGIN and AUTHENTICATE arguments, "password": "..." pairs.
"""

from __future__ import annotations

import functools
import logging
import logging.handlers
import os
import re
import threading
from collections.abc import Iterable
from pathlib import Path

from connectors.outside_text import clean

MASK = "***"
LOG_NAME = "tether.log"
ENV_LOG_DIR = "TETHER_LOG_DIR"
MAX_BYTES = 1_000_000
BACKUPS = 3
# Shorter values would mask ordinary words; real secrets are longer.
MIN_SECRET_LENGTH = 4

_SECRET_WORDS = (
    r"pass(?:word|wd|phrase)?|pwd|secret|client_secret|token|access_token|refresh_token|id_token|"
    r"api_?key|apikey|key|auth|authorization|sig|signature|code|session|sessionid|private|credentials?"
)


@functools.cache
def _patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    """Compiled on first use, not at import: compiling them is ~9 ms of tether's start-up."""
    return (
        # Authorization: Basic abc / Bearer abc / anything
        (re.compile(r"(?i)\b((?:proxy-)?authorization\s*[:=]\s*)(?:\S+ )?[^\s'\",}]+"), rf"\1{MASK}"),
        (re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]+"), rf"\1{MASK}"),
        # scheme://user:password@host
        (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]*:)[^@\s/]+@"), rf"\1{MASK}@"),
        # ?token=abc&key=def  (query strings and form bodies)
        (re.compile(rf"(?i)([?&;]|\b)((?:{_SECRET_WORDS})=)[^&\s'\"]+"), rf"\1\2{MASK}"),
        # "password": "abc"  /  'token': 'abc'  /  password: abc
        (
            re.compile(rf"(?i)([\"']?\b(?:{_SECRET_WORDS})\b[\"']?\s*:\s*)([\"'])(?:(?!\2).)*\2"),
            rf"\1\2{MASK}\2",
        ),
        # IMAP: a1 LOGIN user "pass"  /  AUTHENTICATE XOAUTH2 base64...
        (re.compile(r"(?i)\b(LOGIN)\s+(\"[^\"]*\"|\S+)\s+(\"(?:[^\"\\]|\\.)*\"|\S+)"), rf"\1 \2 {MASK}"),
        (re.compile(r"(?i)\b(AUTHENTICATE\s+[A-Z0-9_-]+)\s+\S+"), rf"\1 {MASK}"),
        # Google-style private calendar addresses carry the token in the path.
        (re.compile(r"(?i)(/private-)[0-9a-f]{8,}"), rf"\1{MASK}"),
    )


class SecretMasker:
    """Replaces registered secret values and secret-shaped text. Thread-safe."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._lock = threading.Lock()

    def remember(self, values: Iterable[str | None]) -> None:
        with self._lock:
            for value in values:
                if value and len(value) >= MIN_SECRET_LENGTH:
                    self._values.add(value)

    def mask(self, text: str) -> str:
        with self._lock:
            values = sorted(self._values, key=len, reverse=True)  # longest first: no partial leftovers
        for value in values:
            if value in text:
                text = text.replace(value, MASK)
        for pattern, replacement in _patterns():
            text = pattern.sub(replacement, text)
        return text


MASKER = SecretMasker()


def remember_secrets(values: Iterable[str | None]) -> None:
    """Register secret values tether has read or received, so they never reach a log or report."""
    MASKER.remember(values)


def mask(text: str) -> str:
    return MASKER.mask(text)


class MaskingFilter(logging.Filter):
    """Formats each record's message (and traceback) once, masked and cleaned, before any handler writes it.

    Messages quote servers (an IMAP error, a calendar's name): each is kept to one line without
    control characters, so a server can neither forge log lines nor send escapes to whoever reads
    the log in a terminal. Tracebacks keep their newlines.
    """

    def __init__(self, masker: SecretMasker = MASKER) -> None:
        super().__init__()
        self.masker = masker

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not stop logging
            message = str(record.msg)
        record.msg = clean(self.masker.mask(message))
        record.args = None
        if record.exc_info:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text = clean(self.masker.mask(text), multiline=True)
            record.exc_info = None
        if record.stack_info:
            record.stack_info = clean(self.masker.mask(record.stack_info), multiline=True)
        if not hasattr(record, "integration"):
            record.integration = "-"
        else:
            record.integration = clean(self.masker.mask(str(record.integration)))
        return True


FORMAT = "%(asctime)s %(levelname)-7s %(name)s [%(integration)s] %(message)s"


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log whose every file, the first and each one after a rotation, is 0600 from birth.

    The standard handler creates files through the umask (usually 0644) and a chmod afterwards
    leaves a moment, and after each rotation a whole file, readable by other users.
    """

    def _open(self):
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.fchmod(fd, 0o600)  # a file left by an older tether may be 0644
            return open(fd, self.mode, encoding=self.encoding, errors=self.errors)
        except BaseException:
            os.close(fd)
            raise


def log_dir() -> Path:
    if env := os.environ.get(ENV_LOG_DIR):
        return Path(env).expanduser()
    import platformdirs

    return platformdirs.user_log_path("tether")


def setup_logging(verbose: bool = False, directory: Path | None = None) -> Path | None:
    """Log to a rotating file; --verbose logs debug detail (still masked). Returns the file, or None."""
    directory = directory or log_dir()
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "tether_handler", False):
            root.removeHandler(handler)
            handler.close()
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = directory / LOG_NAME
        handler = PrivateRotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
    except OSError:
        return None  # no log is better than no tether
    handler.tether_handler = True  # type: ignore[attr-defined]
    handler.addFilter(MaskingFilter())
    handler.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(handler)
    level = logging.DEBUG if verbose else logging.INFO
    root.setLevel(level)
    handler.setLevel(level)
    # Library chatter (HTTP, IMAP protocol lines, migrations) only with --verbose.
    for name in ("httpx", "httpcore", "imapclient", "caldav", "urllib3", "asyncio", "alembic"):
        logging.getLogger(name).setLevel(logging.NOTSET if verbose else logging.WARNING)
    logging.getLogger("tether").debug("logging at debug level (--verbose)")
    return path
