"""Turn command-line assignments into the same typed values a form would hold."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.errors import CliError
from connectors.types import IntegrationType


def parse_assignments(items: list[str], spec: IntegrationType) -> dict[str, str]:
    values: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep:
            raise CliError(f"--set needs FIELD=VALUE, got {item!r}.")
        if not spec.has_field(name):
            known = ", ".join(f.name for f in spec.setting_fields)
            raise CliError(f"{spec.name} has no field {name!r}; its fields: {known}.")
        if spec.field(name).secret:
            raise CliError(f"{name!r} is a secret: pass it with --secret-stdin {name}, never as an argument.")
        values[name] = value
    return values


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
    """"Mail", then "Mail 2", "Mail 3"... whichever is free."""
    taken = {label.casefold() for label in existing}
    if base.casefold() not in taken:
        return base
    number = 2
    while f"{base} {number}".casefold() in taken:
        number += 1
    return f"{base} {number}"
