"""The integration type declaration and the check contract every connector follows."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from connectors.fields import Field, FieldKind, FormErrors
from connectors.outside_text import clean

if TYPE_CHECKING:
    from connectors.calendar_events import CalendarEvent
    from connectors.mailbox import Mailbox
    from connectors.oauth.provider import OAuthProvider


class Category(StrEnum):
    MAIL = "mail"
    CALENDAR = "calendar"


class Capability(StrEnum):
    READ = "read"
    WRITE = "write"


@dataclass(frozen=True)
class CheckResult:
    """What a successful check found, ready to show a person."""

    summary: str  # one line for the list, e.g. "INBOX 12 messages, 3 unread"
    details: tuple[str, ...] = ()  # extra preview lines
    warnings: tuple[str, ...] = ()
    # Settings the check learned and the integration should keep (e.g. discovered calendars).
    learned_settings: Mapping[str, Any] = field(default_factory=dict)
    # Non-secret state to keep for the next check (e.g. a feed's ETag).
    state: Mapping[str, Any] = field(default_factory=dict)
    # How long the server took to answer, when the connector timed that alone: the check's own work
    # (reading a large feed, other checks' turns on the processor) is not the server's latency.
    server_ms: float | None = None

    def __post_init__(self) -> None:
        # The lines quote servers (a calendar's name, a folder, an event): clean them once, for every type.
        object.__setattr__(self, "summary", clean(self.summary))
        object.__setattr__(self, "details", tuple(clean(line) for line in self.details))
        object.__setattr__(self, "warnings", tuple(clean(line) for line in self.warnings))


@dataclass(frozen=True)
class CheckRequest:
    """Everything a connector needs for one check; plain data, no storage."""

    settings: Mapping[str, Any]
    secrets: Mapping[str, str]
    state: Mapping[str, Any] = field(default_factory=dict)
    timeout: float = 15.0
    # Stores a secret the check replaced (e.g. a rotated OAuth refresh token): the old one is void at once,
    # so it must be kept even if a later step of the check fails. None when there is nowhere to keep it.
    save_secret: Callable[[str, str], None] | None = None


# A checker takes a request and returns a result or raises ConnectorError.
Checker = Callable[[CheckRequest], CheckResult]
# Opens a signed-in mailbox: (settings, secrets, *, timeout, save_secret) -> context manager of a Mailbox.
MailboxOpener = Callable[..., "AbstractContextManager[Mailbox]"]
# Reads events: (settings, secrets, start, end, *, timeout) -> [CalendarEvent], recurrences expanded.
EventReader = Callable[..., "list[CalendarEvent]"]


def _load(path: str) -> Any:
    """Import "module:function" when it is first needed, so client libraries stay off the start-up path."""
    module_name, _, attr = path.partition(":")
    return getattr(importlib.import_module(module_name), attr)


@dataclass(frozen=True)
class IntegrationType:
    key: str
    name: str
    description: str
    category: Category
    fields: tuple[Field, ...]
    # "module:function" of the checker, imported only when a check runs so that heavy client
    # libraries stay off the start-up path. Every type has one: it is how a type proves its settings.
    checker_path: str
    aliases: tuple[str, ...] = ()
    capabilities: frozenset[Capability] = frozenset({Capability.READ})
    default_label: str = ""
    # Secrets that are not typed into the form.
    extra_secrets: tuple[str, ...] = ()
    # "module:function" that opens a mailbox (see MailboxOpener); mail types only.
    mailbox_path: str | None = None
    # "module:function" that reads events (see EventReader); calendar types only.
    events_path: str | None = None
    # Who signs in, for types that sign in through OAuth instead of storing a password.
    oauth_provider: OAuthProvider | None = None
    # Non-secret settings computed from typed values (e.g. a redacted URL to show in the list).
    derive_settings: Callable[[Mapping[str, str]], dict[str, Any]] | None = None
    # Cross-field validation: values by field name -> messages by field name.
    cross_validator: Callable[[Mapping[str, str]], dict[str, str]] | None = None
    # Modules the checker, mailbox and event reader import inside their functions (off the start-up
    # path). They are imported before a check or workflow call is timed: the first one in a process
    # must not count tether's own loading (~0.2 s) as the server's latency.
    warm_imports: tuple[str, ...] = ()

    @property
    def secret_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.secret)

    @property
    def secret_names(self) -> tuple[str, ...]:
        """Every secret this type may store, typed or not (an OAuth refresh token is never typed)."""
        names = tuple(f.name for f in self.secret_fields) + self.extra_secrets
        if self.oauth_provider is not None:
            names += tuple(name for name in self.oauth_provider.secret_names if name not in names)
        return names

    @property
    def oauth(self) -> bool:
        return self.oauth_provider is not None

    @property
    def has_mailbox(self) -> bool:
        return self.mailbox_path is not None

    @property
    def has_events(self) -> bool:
        return self.events_path is not None

    def open_mailbox(
        self,
        settings: Mapping[str, Any],
        secrets: Mapping[str, str],
        *,
        timeout: float,
        save_secret: Callable[[str, str], None] | None = None,
    ) -> AbstractContextManager[Mailbox]:
        """A signed-in mailbox; ``save_secret`` keeps a secret the service replaced (a rotated refresh token)."""
        if self.mailbox_path is None:
            raise LookupError(f"{self.name} has no mailbox.")
        return _load(self.mailbox_path)(settings, secrets, timeout=timeout, save_secret=save_secret)

    def load_event_reader(self) -> EventReader:
        if self.events_path is None:
            raise LookupError(f"{self.name} has no events to read.")
        return _load(self.events_path)  # type: ignore[no-any-return,unused-ignore]

    @property
    def setting_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if not f.secret)

    def field(self, name: str) -> Field:
        for candidate in self.fields:
            if candidate.name == name:
                return candidate
        raise KeyError(name)

    def has_field(self, name: str) -> bool:
        return any(candidate.name == name for candidate in self.fields)

    def load_checker(self) -> Checker:
        return _load(self.checker_path)  # type: ignore[no-any-return,unused-ignore]

    def warm_up(self) -> None:
        """Import the checker, mailbox and event reader and what they import when they run: a
        check or workflow call timed after this pays none of it."""
        for module in self.warm_imports:
            importlib.import_module(module)
        for path in (self.checker_path, self.mailbox_path, self.events_path):
            if path is not None:
                importlib.import_module(path.partition(":")[0])

    def matches(self, query: str) -> bool:
        """Whether a search query finds this type (name, description, aliases, category)."""
        words = query.lower().split()
        haystack = " ".join((self.key, self.name, self.description, str(self.category), *self.aliases)).lower()
        return all(word in haystack for word in words)

    def named_by(self, query: str) -> bool:
        """Whether every word of the query is in the type's key or name, not only its description or aliases."""
        words = query.lower().split()
        name = f"{self.key} {self.name}".lower()
        return bool(words) and all(word in name for word in words)

    def validate(
        self,
        values: Mapping[str, str],
        *,
        editing: bool = False,
        stored_secrets: frozenset[str] = frozenset(),
    ) -> FormErrors:
        """Validate every field as typed. When editing, an empty secret field keeps the stored one."""
        errors: dict[str, str] = {}
        for spec in self.fields:
            text = values.get(spec.name, "")
            if spec.secret and not text and (editing and spec.name in stored_secrets):
                continue
            if spec.kind is FieldKind.CALENDARS:
                continue  # chosen from discovery, not typed
            if message := spec.validate(text):
                errors[spec.name] = message
        if self.cross_validator is not None and not errors:
            errors.update(self.cross_validator(values))
        return FormErrors(errors)

    def settings_from(self, values: Mapping[str, str]) -> dict[str, Any]:
        """The non-secret settings to store, parsed from typed values; empty optional fields dropped."""
        settings: dict[str, Any] = {}
        for spec in self.setting_fields:
            text = values.get(spec.name, "")
            if text.strip() == "" and spec.kind is not FieldKind.CALENDARS:
                continue
            settings[spec.name] = spec.parse(text)
        if self.derive_settings is not None:
            settings.update(self.derive_settings(values))
        return settings

    def settings_for_edit(self, current: Mapping[str, Any], values: Mapping[str, str]) -> dict[str, Any]:
        """Declared fields as typed now; what checks learned or was derived before (undeclared keys) is kept
        unless the new values derive it afresh."""
        declared = {f.name for f in self.fields}
        kept = {key: value for key, value in current.items() if key not in declared}
        return {**kept, **self.settings_from(values)}

    def secrets_from(self, values: Mapping[str, str]) -> dict[str, str]:
        """Typed secret values; empty ones are left out (when editing they keep the stored secret)."""
        return {f.name: values[f.name] for f in self.secret_fields if values.get(f.name)}


def validate_label(label: str, existing: set[str] | frozenset[str]) -> str | None:
    """A label is the user's own name; unique regardless of case."""
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in label):
        return "The name contains control characters; type it again without them."
    stripped = label.strip()
    if not stripped:
        return "Give this integration a name, e.g. Work mail."
    if len(stripped) > 80:
        return "Keep the name under 80 characters."
    if stripped.casefold() in {name.casefold() for name in existing}:
        return f"An integration named {stripped!r} already exists; choose another name."
    return None
