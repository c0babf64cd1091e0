"""Why an MCP tool call was refused or failed, and what the person should do about it in tether.

Every failure a tool can meet becomes a ToolRefusal: a reason from a fixed vocabulary, a message,
and an action naming the tether command or key that fixes it. The server turns it into an MCP
tool error (isError), never a traceback. Messages are built from connector errors, which never
carry secrets, and are scrubbed once more against the secrets read for the call.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from connectors.errors import ConnectorError, ErrorKind


class Reason(StrEnum):
    """What went wrong, as the assistant sees it. The connector's own kinds, plus the server's refusals."""

    UNREACHABLE = "unreachable"
    TIMEOUT = "timeout"
    TLS = "tls"
    AUTH = "auth"
    NEEDS_REAUTH = "needs_reauth"
    RATE_LIMITED = "rate_limited"
    NOT_FOUND = "not_found"
    BAD_DATA = "bad_data"
    SERVER = "server"
    CONFIG = "config"
    DISABLED = "disabled"
    SECRETS = "secrets"
    CIRCUIT_OPEN = "circuit_open"  # too many recent failures; calls paused for a while
    UNKNOWN_INTEGRATION = "unknown_integration"  # also outside the workflow: the same answer, so scope cannot be probed
    READ_ONLY = "read_only"  # a write where this server may only read
    UNSUPPORTED = "unsupported"  # the tool does not apply to this integration's type
    BAD_INPUT = "bad_input"


class ToolRefusal(Exception):
    """A tool call that cannot be served. ``action`` says what to do in tether."""

    def __init__(
        self,
        reason: Reason,
        message: str,
        *,
        action: str = "",
        label: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.action = action
        self.label = label
        self.retry_after = retry_after

    def text(self) -> str:
        where = f"{self.label}: " if self.label else ""
        action = f" What to do: {self.action}" if self.action else ""
        return f"{where}{self.message}{action} [reason: {self.reason}]"

    def to_dict(self) -> dict[str, Any]:
        return {
            "reason": str(self.reason),
            "message": self.message,
            "action": self.action,
            "integration": self.label,
            "retry_after": self.retry_after,
        }

    def scrubbed(self, secrets: Iterable[str]) -> ToolRefusal:
        """The same refusal with any secret value replaced, as a last line of defence."""
        return ToolRefusal(
            self.reason,
            scrub(self.message, secrets),
            action=scrub(self.action, secrets),
            label=self.label,
            retry_after=self.retry_after,
        )


def quoted(label: str) -> str:
    return shlex.quote(label)


def action_for(kind: ErrorKind, label: str, *, retry_after: float | None = None) -> str:
    """The step in tether that fixes a connector failure of this kind."""
    q = quoted(label)
    check = f"`tether check {q}`"
    match kind:
        case ErrorKind.UNREACHABLE:
            return f"Check the network and the server name; {check} shows when it answers again."
        case ErrorKind.TIMEOUT:
            return f"Try again later; {check} tests the connection."
        case ErrorKind.TLS:
            return f"Review the TLS settings (mode, CA file) with `tether edit {q} --set ...`, then run {check}."
        case ErrorKind.AUTH:
            return (
                f"Re-enter the credentials: open tether and edit {label!r} (e), or "
                f"`tether edit {q} --secret-stdin password`; then run {check}."
            )
        case ErrorKind.NEEDS_REAUTH:
            return f"Sign in again with `tether reauth {q}` (or Re-authenticate on it in tether); its workflows stay linked."
        case ErrorKind.RATE_LIMITED:
            wait = f"{retry_after:.0f} s" if retry_after else "a while"
            return f"Wait {wait} before trying again; {check} shows when it answers."
        case ErrorKind.NOT_FOUND:
            return f"Check the folder, calendar or URL named; {check} lists what the server has."
        case ErrorKind.BAD_DATA | ErrorKind.SERVER:
            return f"Try again later; if it persists, run {check} and see the details."
        case ErrorKind.CONFIG:
            return f"Fix the settings: open tether and edit {label!r} (e), or `tether edit {q} --set FIELD=VALUE`."
        case ErrorKind.DISABLED:
            return f"If the assistant should use it, enable it: `tether enable {q}`, or x on it in tether's list."
        case ErrorKind.BAD_INPUT:
            return (
                f"Change the argument the message names and call the tool again; the value was not sent to {label!r}."
            )
        case ErrorKind.SECRETS:
            return (
                "Set TETHER_PASSPHRASE_COMMAND in this MCP server's environment (the client's server config) "
                "to a command that prints the vault passphrase; `tether secrets status` shows the store in use."
            )
    return f"Run {check} for details."


def refusal_from(error: ConnectorError, label: str) -> ToolRefusal:
    """A connector's classified error, as the assistant should see it."""
    return ToolRefusal(
        Reason(str(error.kind)),
        str(error),
        action=action_for(error.kind, label, retry_after=error.retry_after),
        label=label,
        retry_after=error.retry_after,
    )


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Replace every secret value (longer than 3 characters, to avoid mangling ordinary words) in text."""
    for secret in sorted((s for s in secrets if s and len(s) > 3), key=len, reverse=True):
        text = text.replace(secret, "[redacted]")
    return text
