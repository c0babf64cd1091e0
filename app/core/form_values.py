"""Form values shared by every front end: defaults for a new integration, values of one being edited."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.fields import Field, FieldKind
from connectors.types import IntegrationType


def is_chooser(field: Field) -> bool:
    """Fields whose values come from the server are picked from a list, not typed."""
    return field.options_path is not None or field.kind is FieldKind.CALENDARS


def form_values_for_add(spec: IntegrationType, assignments: Mapping[str, str]) -> dict[str, str]:
    """Defaults filled in the order fields are declared, so derived defaults see earlier choices."""
    values = dict(assignments)
    for field in spec.setting_fields:
        if field.name not in values:
            values[field.name] = field.default_for(values)
    return values


def form_values_for_edit(
    spec: IntegrationType, settings: Mapping[str, Any], assignments: Mapping[str, str]
) -> dict[str, str]:
    values = {field.name: field.format(settings.get(field.name)) for field in spec.setting_fields}
    values.update(assignments)
    return values


def unique_label(base: str, existing: set[str]) -> str:
    """ "Mail", then "Mail 2", "Mail 3"... whichever is free."""
    taken = {label.casefold() for label in existing}
    if base.casefold() not in taken:
        return base
    number = 2
    while f"{base} {number}".casefold() in taken:
        number += 1
    return f"{base} {number}"
