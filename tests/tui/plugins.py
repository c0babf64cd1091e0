"""Small checkers and option lists that stand in for a connector, as a type would declare them."""

from __future__ import annotations

from connectors.errors import ConnectorError, ErrorKind
from connectors.fields import Option
from connectors.types import CheckRequest, CheckResult

GOOD_PASSWORD = "right-password"
CALLS: list[CheckRequest] = []


def offline_checker(request: CheckRequest) -> CheckResult:
    """The offline types' check: asks no server and accepts whatever was typed."""
    CALLS.append(request)
    return CheckResult(summary="Checked offline; no server was asked")


def password_checker(request: CheckRequest) -> CheckResult:
    """Accepts one password, like a real server would; blames the password field otherwise."""
    CALLS.append(request)
    if request.secrets.get("password") != GOOD_PASSWORD:
        raise ConnectorError(
            ErrorKind.AUTH,
            "The server rejected the username or password.",
            hint="Check the password; some providers need an app password.",
            field="password",
        )
    return CheckResult(
        summary="INBOX 12 messages, 3 unread",
        details=("Folders: INBOX, Archive, Sent",),
        warnings=("The server certificate expires in 9 days.",),
    )


def list_calendars(request: CheckRequest) -> list[Option]:
    CALLS.append(request)
    if request.secrets.get("password") != GOOD_PASSWORD:
        raise ConnectorError(ErrorKind.AUTH, "The server rejected the username or password.", field="password")
    if request.settings.get("username") == "nobody":  # an account without a single calendar
        return []
    return [
        Option("/cal/work/", "Work"),
        Option("/cal/home/", "Home"),
        Option("/cal/holidays/", "Holidays", note="read-only"),
    ]


def no_mailbox(settings, secrets, *, timeout, save_secret=None):  # type: ignore[no-untyped-def]
    """A mailbox opener for a test type that is listed but never opened."""
    raise AssertionError("the test type's mailbox was opened")
