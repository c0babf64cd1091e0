"""What an IMAP server's refusals mean: the server's own words, trimmed, and a classification."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable

from connectors.errors import ConnectorError, ErrorKind

_MAX_WORDS = 200
# imapclient/imaplib prefix their errors like "login failed: " or "AUTHENTICATE command error: BAD [b'...']".
_PREFIX = re.compile(r"^(?:\w+ failed: |\w+ command error: (?:NO|BAD) )", re.IGNORECASE)
# A Python bytes repr inside library error text: b'...' or b"..." (with escapes).
_BYTES_REPR = re.compile(r"b'(?:[^'\\]|\\.)*'" + r'|b"(?:[^"\\]|\\.)*"')
_LIST_REPR = re.compile(r"^\[(.*)\]$", re.DOTALL)
# imapclient appends several lines of advice (and a link) to a refused SEARCH.
_LIBRARY_ADVICE = re.compile(r"\s*This error may have been caused by.*$", re.DOTALL)
# Control characters, line breaks and invisible direction marks: none belongs in a one-line message.
_NOT_ONE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\s]+")
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/]{12,}={0,2}")

_RATE_LIMIT_MARKERS = (
    "[limit]",
    "[throttled]",
    "too many",
    "maximum number of connections",
    "rate limit",
    "try again later",
    "bandwidth limits",
)
_UNAVAILABLE_MARKERS = ("[unavailable]", "temporary system problem", "temporarily unavailable")


def server_words(error: BaseException | str | bytes, secrets: Iterable[str] = ()) -> str:
    """The server's own text from an imapclient error as one readable line: no Python reprs, no
    library advice, no secret in any form that was sent (see ImapAuth.secrets), no excess length."""
    text = str(error) if not isinstance(error, bytes) else error.decode("utf-8", "replace")
    text = _LIBRARY_ADVICE.sub("", text).strip()
    text = _PREFIX.sub("", text)
    text = _BYTES_REPR.sub(_decoded_repr, text)
    if match := _LIST_REPR.match(text.strip()):
        text = match.group(1)
    text = _mask(text, [secret for secret in secrets if secret])
    text = _NOT_ONE_LINE.sub(" ", text).strip()
    if len(text) > _MAX_WORDS:
        text = text[: _MAX_WORDS - 1].rstrip() + "…"
    return text or "no explanation given"


def _decoded_repr(match: re.Match[str]) -> str:
    try:
        value = ast.literal_eval(match.group(0))
    except (ValueError, SyntaxError):
        return match.group(0)[2:-1]
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _mask(text: str, secrets: list[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    # A server may echo part of a base64 SASL payload: hide any run that is a piece of one.
    encoded = [secret for secret in secrets if len(secret) >= 12 and _BASE64_RUN.fullmatch(secret)]
    if encoded:
        text = _BASE64_RUN.sub(
            lambda run: "***" if any(run.group(0).rstrip("=") in form for form in encoded) else run.group(0), text
        )
    return text


def is_rate_limited(words: str) -> bool:
    lowered = words.lower()
    return any(marker in lowered for marker in _RATE_LIMIT_MARKERS)


def login_refused(words: str, username: str) -> ConnectorError:
    """A NO/BAD answer to LOGIN or AUTHENTICATE, in terms of what the person should do."""
    lowered = words.lower()
    quoted = f"The server said: “{words}”"
    if "application-specific password required" in lowered:
        return ConnectorError(
            ErrorKind.AUTH,
            f"Gmail wants an app password for {username}, not your normal password. {quoted}",
            hint="App passwords need 2-Step Verification on the Google account (myaccount.google.com > Security > "
            "App passwords); or add this mailbox with the Gmail (OAuth) type instead.",
            field="password",
        )
    if "web login required" in lowered or "[webalert" in lowered:
        return ConnectorError(
            ErrorKind.AUTH,
            f"The provider wants you to sign in through its website first. {quoted}",
            hint="Sign in once in a browser, confirm it was you, then check again.",
            field="password",
        )
    if is_rate_limited(words):
        return ConnectorError(
            ErrorKind.RATE_LIMITED,
            f"The server is limiting connections. {quoted}",
            hint="Close other mail apps using this account or wait a few minutes.",
        )
    if any(marker in lowered for marker in _UNAVAILABLE_MARKERS):
        return ConnectorError(
            ErrorKind.RATE_LIMITED,
            f"The server is temporarily unavailable. {quoted}",
            hint="Try again in a few minutes.",
        )
    if "[privacyrequired]" in lowered or "plaintext authentication disallowed" in lowered:
        return ConnectorError(
            ErrorKind.TLS,
            f"The server refuses passwords over an unencrypted connection. {quoted}",
            hint="Choose STARTTLS or implicit TLS.",
            field="tls_mode",
        )
    return ConnectorError(
        ErrorKind.AUTH,
        f"Wrong username or password for {username}. {quoted}",
        hint="Check both; if your provider uses app passwords, create one and use it here.",
        field="password",
    )


def command_refused(what: str, words: str) -> ConnectorError:
    """A NO/BAD answer to an ordinary command (after login)."""
    quoted = f"The server said: “{words}”"
    if is_rate_limited(words):
        return ConnectorError(
            ErrorKind.RATE_LIMITED,
            f"The server is limiting requests while trying to {what}. {quoted}",
            hint="Wait a few minutes and try again.",
        )
    lowered = words.lower()
    if (
        "[nonexistent]" in lowered
        or "doesn't exist" in lowered
        or "does not exist" in lowered
        or "unknown mailbox" in lowered
    ):
        # The folder or message was named by the caller: the mailbox itself is fine.
        return ConnectorError(
            ErrorKind.NOT_FOUND, f"Could not {what}: no such folder or message. {quoted}", caller_fault=True
        )
    if any(marker in lowered for marker in _UNAVAILABLE_MARKERS):
        return ConnectorError(
            ErrorKind.RATE_LIMITED,
            f"The server is temporarily unavailable. {quoted}",
            hint="Try again in a few minutes.",
        )
    return ConnectorError(ErrorKind.SERVER, f"The server refused to {what}. {quoted}")
