"""Disable and enable an integration (`tether disable/enable`, x in the TUI)."""

from __future__ import annotations

from app.core.health import reset_breaker
from storage.records import Integration, Status
from storage.service import Storage

DISABLED_DETAIL = "Disabled: not checked, and workflows cannot use it."


def set_disabled(storage: Storage, integration_id: int, disabled: bool) -> Integration:
    """A disabled integration keeps its settings and secrets; enabling makes it "not checked" again."""
    reset_breaker(storage.metrics, integration_id)
    if disabled:
        return storage.integrations.set_status(integration_id, Status.DISABLED, DISABLED_DETAIL)
    return storage.integrations.set_status(integration_id, Status.NOT_CHECKED, "")
