"""Classified connector errors: what went wrong, in words a person can act on."""

from __future__ import annotations

from enum import StrEnum

from connectors.outside_text import clean


class ErrorKind(StrEnum):
    UNREACHABLE = "unreachable"  # host not found, refused, network down
    TIMEOUT = "timeout"  # connected but the server did not answer in time
    TLS = "tls"  # certificate or TLS-mode problem
    AUTH = "auth"  # wrong username or password
    NEEDS_REAUTH = "needs_reauth"  # OAuth grant revoked or expired
    RATE_LIMITED = "rate_limited"  # too many connections or requests
    NOT_FOUND = "not_found"  # URL, folder or calendar that does not exist
    BAD_DATA = "bad_data"  # the server answered with something we cannot use
    SERVER = "server"  # the server reported an error of its own
    CONFIG = "config"  # the settings themselves are wrong or incomplete
    DISABLED = "disabled"  # the user switched the integration off
    SECRETS = "secrets"  # the secret store is locked or unavailable
    BAD_INPUT = "bad_input"  # the caller's own value cannot be sent (``field`` names the argument)

    @property
    def transient(self) -> bool:
        """Whether retrying the same call later may help."""
        return self in (ErrorKind.TIMEOUT, ErrorKind.RATE_LIMITED, ErrorKind.UNREACHABLE)

    @property
    def heading(self) -> str:
        """The words shown above a failure ("Timed out"); not ``title``, which str already has."""
        return _TITLES[self]


_TITLES = {
    ErrorKind.UNREACHABLE: "Unreachable",
    ErrorKind.TIMEOUT: "Timed out",
    ErrorKind.TLS: "TLS problem",
    ErrorKind.AUTH: "Sign-in failed",
    ErrorKind.NEEDS_REAUTH: "Needs re-authentication",
    ErrorKind.RATE_LIMITED: "Rate limited",
    ErrorKind.NOT_FOUND: "Not found",
    ErrorKind.BAD_DATA: "Unexpected data",
    ErrorKind.SERVER: "Server error",
    ErrorKind.CONFIG: "Settings problem",
    ErrorKind.DISABLED: "Disabled",
    ErrorKind.SECRETS: "Secret store problem",
    ErrorKind.BAD_INPUT: "Bad input",
}


class ConnectorError(Exception):
    """A failure a person can act on. ``message`` never contains a secret.

    ``field`` names the form field most likely at fault, so a form can put
    the cursor there; ``retry_after`` carries a server's Retry-After hint.
    Message and hint often quote a server (an IMAP NO text, a certificate's
    names), so both are cleaned of control characters here, once for every connector.
    ``caller_fault`` marks a failure caused by what the caller asked for (a value that
    cannot be sent; a message or folder it named that does not exist) rather than by the
    integration: such failures never count towards the integration's health.
    """

    def __init__(
        self,
        kind: ErrorKind,
        message: str,
        *,
        hint: str = "",
        field: str | None = None,
        retry_after: float | None = None,
        caller_fault: bool | None = None,
    ) -> None:
        message, hint = clean(message), clean(hint)
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.hint = hint
        self.field = field
        self.retry_after = retry_after
        self.caller_fault = kind is ErrorKind.BAD_INPUT if caller_fault is None else caller_fault

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": str(self.kind),
            "message": self.message,
            "hint": self.hint,
            "field": self.field,
            "retry_after": self.retry_after,
        }
