"""Turn command-line assignments into the same typed values a form would hold."""

from __future__ import annotations

from app.cli.errors import CliError
from connectors.types import IntegrationType


def timeout_option(text: str) -> float:
    """--timeout SECONDS: a finite number from 0.1 to 3600, else a one-line CliError."""
    from connectors.deadline import parse_timeout

    try:
        return parse_timeout(text)
    except ValueError as exc:
        raise CliError(f"--timeout {exc}.") from None


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
