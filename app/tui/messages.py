"""What the App tells the integrations list, and what its workers tell the App.

The App keeps the state (the open data directory, health figures, the check schedule); the list
screen is the only writer of its table, detail pane and secrets line, and renders from these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from app.core.checks import CheckOutcome
    from storage.metrics import Health
    from storage.records import Integration


@dataclass(eq=False)
class TypedMessage(Message):
    """A Message whose fields are declared like a dataclass's (Message.__post_init__ sets it up)."""


# --- App -> integrations list --------------------------------------------------------------
# Posted to the list screen by the App: they end there (bubble=False), the App already knows.


@dataclass(eq=False)
class ListLoaded(TypedMessage, bubble=False):
    """Every integration, as just read; the list keeps the cursor on ``select_label`` if given."""

    integrations: list[Integration]
    select_label: str | None = None


@dataclass(eq=False)
class ListFailed(TypedMessage, bubble=False):
    """The data directory could not be opened: say so where the rows would be."""

    message: str


@dataclass(eq=False)
class RowChanged(TypedMessage, bubble=False):
    """One integration's new state (checking, checked, disabled)."""

    integration: Integration


@dataclass(eq=False)
class HealthChanged(TypedMessage, bubble=False):
    """Health figures for some integrations (all of them when first loaded)."""

    healths: dict[int, Health] = field(default_factory=dict)


@dataclass(eq=False)
class ListStale(TypedMessage, bubble=False):
    """Another tether process changed the database: read the list again."""


@dataclass(eq=False)
class SecretsChanged(TypedMessage, bubble=False):
    """The vault was unlocked (or a secret store answered): the secrets line follows."""


# --- workers -> App ----------------------------------------------------------------------


@dataclass(eq=False)
class BackgroundChecked(TypedMessage):
    outcome: CheckOutcome
    health: Health | None


@dataclass(eq=False)
class HealthLoaded(TypedMessage):
    healths: dict[int, Health]


# --- the list screen's own workers -> the list screen ----------------------------------------


@dataclass(eq=False)
class IntegrationsLoaded(TypedMessage):
    integrations: list[Integration]
    select_label: str | None = None


@dataclass(eq=False)
class IntegrationChecked(TypedMessage):
    """A check by hand (r); it bubbles on to the App, which restarts the schedule."""

    outcome: CheckOutcome


@dataclass(eq=False)
class IntegrationRemoved(TypedMessage):
    integration: Integration | None
    error: str = ""
    revoke_problem: str | None = None  # an OAuth grant that could not be given back


@dataclass(eq=False)
class IntegrationGone(TypedMessage):
    """The one a worker was asked about was removed by another tether process meanwhile."""

    integration: Integration


@dataclass(eq=False)
class DisabledToggled(TypedMessage):
    integration: Integration | None
    error: str = ""
