"""Words and short forms shared by the CLI and the TUI."""

from __future__ import annotations

from typing import Any

from connectors.fields import FieldKind
from connectors.registry import TypeRegistry, default_types
from connectors.wording import ago as ago  # re-exported: the CLI and the TUI say "3 min ago" one way
from storage.records import Integration, Status

STATUS_TEXT = {
    Status.NOT_CHECKED: "not checked",
    Status.CHECKING: "checking",
    Status.CONNECTED: "connected",
    Status.ERROR: "error",
    Status.NEEDS_REAUTH: "needs re-auth",
    Status.DISABLED: "disabled",
}

# A text marker per status so it reads without colour.
STATUS_MARKER = {
    Status.NOT_CHECKED: "○",
    Status.CHECKING: "◌",
    Status.CONNECTED: "●",
    Status.ERROR: "✖",
    Status.NEEDS_REAUTH: "⚠",
    Status.DISABLED: "–",
}


def type_name(type_key: str, types: TypeRegistry | None = None) -> str:
    try:
        return (types or default_types()).get(type_key).name
    except KeyError:
        return type_key


def visible_settings(integration: Integration, types: TypeRegistry | None = None) -> list[tuple[str, str]]:
    """(label, value) pairs safe to show: no secrets, only declared settings."""
    try:
        spec = (types or default_types()).get(integration.type_key)
    except KeyError:
        return sorted((key, str(value)) for key, value in integration.settings.items())
    pairs: list[tuple[str, str]] = []
    for field in spec.fields:
        if field.secret:
            shown = "stored" if integration.has_secret(field.name) else "not set"
            # A secret URL may have a redacted form to recognise it by (scheme://host/…).
            if display := integration.settings.get(f"{field.name}_display"):
                shown = f"{display} (stored)"
            pairs.append((field.label, shown))
            continue
        value: Any = integration.settings.get(field.name)
        if value in (None, "", []):
            continue
        if field.kind is FieldKind.CHOICE:
            value = dict(field.choices).get(str(value), value)
        pairs.append((field.label, field.format(value)))
    return pairs


def integration_as_dict(integration: Integration) -> dict[str, Any]:
    """The JSON form used by `tether list --json`; never a secret."""
    return {
        "id": integration.id,
        "label": integration.label,
        "type": integration.type_key,
        "status": str(integration.status),
        "detail": integration.status_detail,
        "summary": integration.check_summary,
        "last_checked": integration.last_checked_at.isoformat() if integration.last_checked_at else None,
        "settings": dict(integration.settings),  # secrets never live in settings
        "used_by": [
            {"workflow": use.workflow_name, "role": str(use.role), "access": str(use.access)}
            for use in integration.used_by
        ],
    }
