"""Finding a user's calendars from whatever they typed: a full URL, or just the server name.

Order: the URL as given, then /.well-known/caldav, then the server root; from the
first that names the current user's principal, follow calendar-home-set and list
the calendars there with their name, colour and whether this user may write.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from connectors.caldav.client import APPLE, CALDAV, CALSERVER, DAV, Account, Connection, account_from
from connectors.errors import ConnectorError, ErrorKind
from connectors.fields import Option
from connectors.http import redact_url
from connectors.types import CheckRequest

EXAMPLES = "for example https://cloud.example.com/remote.php/dav/ (Nextcloud) or https://dav.example.com/user/"
_WRITE_PRIVILEGES = {f"{DAV}write", f"{DAV}write-content", f"{DAV}all", f"{DAV}bind"}


@dataclass(frozen=True)
class CalendarInfo:
    url: str
    name: str
    color: str | None = None
    read_only: bool = False
    version: str | None = None  # getctag or sync-token: changes whenever anything in the calendar does

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    def matches(self, chosen: str) -> bool:
        """A chosen value may be the URL, its path, its last path segment or its display name."""
        chosen = chosen.strip()
        slug = self.path.rstrip("/").rsplit("/", 1)[-1]
        return chosen.rstrip("/") in (self.url.rstrip("/"), self.path.rstrip("/"), slug) or (
            chosen.casefold() == self.name.casefold()
        )

    def option(self) -> Option:
        return Option(self.url, self.name, "read-only" if self.read_only else "", self.color)


@dataclass(frozen=True)
class Discovery:
    principal_url: str
    home_url: str
    calendars: tuple[CalendarInfo, ...]


def discover(connection: Connection) -> Discovery:
    account = connection.account
    principal = _find_principal(connection, account)
    home = _calendar_home(connection, principal)
    return Discovery(principal, home, tuple(_list_calendars(connection, home)))


def calendar_options(request: CheckRequest) -> list[Option]:
    """The ``options_path`` of the Calendars field: every calendar this account can see."""
    connection = Connection(account_from(request.settings, request.secrets), request.timeout)
    try:
        return [calendar.option() for calendar in discover(connection).calendars]
    finally:
        connection.close()


def _candidates(account: Account) -> list[str]:
    ordered = [account.url, account.origin + "/.well-known/caldav", account.origin + "/"]
    return list(dict.fromkeys(ordered))


def _find_principal(connection: Connection, account: Account) -> str:
    answers: dict[str, int] = {}
    for url in _candidates(account):
        answer = connection.propfind(url, "<d:current-user-principal/>", probing=True)
        answers[url] = answer.status
        for _, props in answer.responses():
            element = props.get(f"{DAV}current-user-principal")
            href = element.findtext(f"{DAV}href") if element is not None else None
            if href:
                return urljoin(url, href.strip())
    well_known = answers.get(account.origin + "/.well-known/caldav")
    shown = redact_url(account.url)
    if well_known in (404, 405, 501) or not any(status == 207 for status in answers.values()):
        raise ConnectorError(
            ErrorKind.NOT_FOUND,
            f"No CalDAV service was found at {shown}.",
            hint=f"Enter the full CalDAV URL from your provider's help pages, {EXAMPLES}.",
            field="url",
        )
    raise ConnectorError(
        ErrorKind.BAD_DATA,
        f"{shown} answers WebDAV but does not say which account is signed in.",
        hint=f"Enter the full CalDAV URL of your account, {EXAMPLES}.",
        field="url",
    )


def _calendar_home(connection: Connection, principal: str) -> str:
    answer = connection.propfind(principal, "<c:calendar-home-set/>")
    for _, props in answer.responses():
        element = props.get(f"{CALDAV}calendar-home-set")
        href = element.findtext(f"{DAV}href") if element is not None else None
        if href:
            return urljoin(principal, href.strip())
    raise ConnectorError(
        ErrorKind.BAD_DATA,
        f"{redact_url(principal)} is not a CalDAV account: it names no calendar home.",
        hint=f"Check that the URL is a CalDAV (not CardDAV or WebDAV) address, {EXAMPLES}.",
        field="url",
    )


def _list_calendars(connection: Connection, home: str) -> list[CalendarInfo]:
    answer = connection.propfind(
        home,
        "<d:resourcetype/><d:displayname/><a:calendar-color/><d:current-user-privilege-set/>"
        "<c:supported-calendar-component-set/><cs:getctag/><d:sync-token/>",
        depth=1,
    )
    calendars = []
    for url, props in answer.responses():
        kind = props.get(f"{DAV}resourcetype")
        if kind is None or kind.find(f"{CALDAV}calendar") is None:
            continue
        components = props.get(f"{CALDAV}supported-calendar-component-set")
        if (
            components is not None
            and len(components)
            and not any(comp.get("name", "").upper() == "VEVENT" for comp in components)
        ):
            continue  # a task list, not a calendar of events
        calendars.append(
            CalendarInfo(
                url=url,
                name=_text(props.get(f"{DAV}displayname")) or urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1],
                color=_text(props.get(f"{APPLE}calendar-color")) or None,
                read_only=_read_only(props.get(f"{DAV}current-user-privilege-set")),
                version=_text(props.get(f"{CALSERVER}getctag")) or _text(props.get(f"{DAV}sync-token")) or None,
            )
        )
    return sorted(calendars, key=lambda calendar: calendar.name.casefold())


def _read_only(privileges: Any) -> bool:
    if privileges is None:
        return False  # not reported: assume writable rather than hide the calendar's use
    held = {child.tag for privilege in privileges for child in privilege}
    return not (held & _WRITE_PRIVILEGES)


def _text(element: Any) -> str:
    return (element.text or "").strip() if element is not None else ""
