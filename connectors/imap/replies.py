"""What an IMAP server's refusals mean: the server's own words, trimmed, and a classification."""

from __future__ import annotations

import re
from collections.abc import Iterable

from connectors.errors import ConnectorError, ErrorKind

_MAX_WORDS = 200
# imapclient/imaplib prefix their errors like "login failed: " or "AUTHENTICATE command error: BAD [b'...']".
_PREFIX = re.compile(r"^(?:\w+ failed: |\w+ command error: (?:NO|BAD) )", re.IGNORECASE)
_BYTES_LIST = re.compile(r"^\[b?['\"](.*)['\"]\]$", re.DOTALL)
_BYTES = re.compile(r"^b['\"](.*)['\"]$", re.DOTALL)

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


def server_words(error: BaseException | str, secrets: Iterable[str] = ()) -> str:
    """The server's own text from an imapclient error, without library noise, secrets or excess length."""
    text = str(error).strip()
    text = _PREFIX.sub("", text)
    for pattern in (_BYTES_LIST, _BYTES):
        if match := pattern.match(text):
            text = match.group(1)
    text = text.replace("\\r\\n", " ").replace("\\n", " ").strip()
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    if len(text) > _MAX_WORDS:
        text = text[: _MAX_WORDS - 1].rstrip() + "…"
    return text or "no explanation given"


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
        return ConnectorError(ErrorKind.RATE_LIMITED, f"The server is limiting connections. {quoted}", hint="Close other mail apps using this account or wait a few minutes.")
    if any(marker in lowered for marker in _UNAVAILABLE_MARKERS):
        return ConnectorError(ErrorKind.RATE_LIMITED, f"The server is temporarily unavailable. {quoted}", hint="Try again in a few minutes.")
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
        return ConnectorError(ErrorKind.RATE_LIMITED, f"The server is limiting requests while trying to {what}. {quoted}", hint="Wait a few minutes and try again.")
    lowered = words.lower()
    if "[nonexistent]" in lowered or "doesn't exist" in lowered or "does not exist" in lowered or "unknown mailbox" in lowered:
        return ConnectorError(ErrorKind.NOT_FOUND, f"Could not {what}: no such folder or message. {quoted}")
    if any(marker in lowered for marker in _UNAVAILABLE_MARKERS):
        return ConnectorError(ErrorKind.RATE_LIMITED, f"The server is temporarily unavailable. {quoted}", hint="Try again in a few minutes.")
    return ConnectorError(ErrorKind.SERVER, f"The server refused to {what}. {quoted}")
