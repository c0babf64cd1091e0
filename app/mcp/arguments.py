"""A tool's arguments checked against its input schema: the part of JSON Schema tether's tools use.

The server speaks MCP with the standard library only, so it carries no JSON Schema library.
The tools' input schemas use type, enum, minimum, maximum, minLength, maxLength, minItems,
maxItems, items, properties, required and additionalProperties (SUPPORTED_KEYWORDS; a test fails
when a schema uses anything else). Messages follow jsonschema's wording, after the argument's
place: ``uids.0: 0 is less than the minimum of 1``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Keywords checked below, and the ones that only describe.
CHECKED_KEYWORDS = frozenset(
    {
        "type",
        "enum",
        "minimum",
        "maximum",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "items",
        "properties",
        "required",
        "additionalProperties",
    }
)
SUPPORTED_KEYWORDS = CHECKED_KEYWORDS | {"description", "default", "title"}
# A refused value is quoted in the message, cut to this many characters.
QUOTED_CHARS = 60

_TYPES = {
    "string": lambda value: isinstance(value, str),
    # JSON has one kind of number; a bool is not one, and a float is not an integer (1.0 is not a UID).
    "integer": lambda value: isinstance(value, int) and not isinstance(value, bool),
    "number": lambda value: isinstance(value, int | float) and not isinstance(value, bool),
    "boolean": lambda value: isinstance(value, bool),
    "array": lambda value: isinstance(value, list),
    "object": lambda value: isinstance(value, dict),
    "null": lambda value: value is None,
}


def first_problem(schema: Mapping[str, Any], value: Any) -> str | None:
    """What is wrong with ``value`` under ``schema``, naming where; None when nothing is."""
    return _problem(schema, value, ())


def _problem(schema: Mapping[str, Any], value: Any, path: tuple[str, ...]) -> str | None:
    problem = _own_problem(schema, value)
    if problem is not None:
        return f"{'.'.join(path)}: {problem}" if path else problem
    if isinstance(value, dict):
        return _member_problem(schema, value, path)
    if isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        for index, item in enumerate(value):
            if (problem := _problem(schema["items"], item, (*path, str(index)))) is not None:
                return problem
    return None


def _own_problem(schema: Mapping[str, Any], value: Any) -> str | None:
    """A problem with the value itself, before looking at its members."""
    kinds = schema.get("type")
    if kinds is not None:
        kinds = [kinds] if isinstance(kinds, str) else list(kinds)
        if not any(_TYPES[kind](value) for kind in kinds):
            return f"{_quoted(value)} is not of type {', '.join(repr(kind) for kind in kinds)}"
    if "enum" in schema and value not in schema["enum"]:
        return f"{_quoted(value)} is not one of {schema['enum']!r}"
    if _TYPES["number"](value):
        if "minimum" in schema and value < schema["minimum"]:
            return f"{value!r} is less than the minimum of {schema['minimum']!r}"
        if "maximum" in schema and value > schema["maximum"]:
            return f"{value!r} is greater than the maximum of {schema['maximum']!r}"
    if isinstance(value, str | list):
        low, high = ("minLength", "maxLength") if isinstance(value, str) else ("minItems", "maxItems")
        if low in schema and len(value) < schema[low]:
            return f"{_quoted(value)} {'should be non-empty' if schema[low] == 1 else 'is too short'}"
        if high in schema and len(value) > schema[high]:
            return f"{_quoted(value)} is too long"
    if isinstance(value, dict):
        for name in schema.get("required", ()):
            if name not in value:
                return f"{name!r} is a required property"
        if schema.get("additionalProperties") is False:
            extra = sorted(name for name in value if name not in schema.get("properties", {}))
            if extra:
                names = ", ".join(repr(name) for name in extra)
                return (
                    f"Additional properties are not allowed ({names} {'was' if len(extra) == 1 else 'were'} unexpected)"
                )
    return None


def _member_problem(schema: Mapping[str, Any], value: dict[str, Any], path: tuple[str, ...]) -> str | None:
    properties = schema.get("properties", {})
    extra = schema.get("additionalProperties")
    for name, item in value.items():
        member = properties.get(name, extra if isinstance(extra, Mapping) else None)
        if member is not None and (problem := _problem(member, item, (*path, name))) is not None:
            return problem
    return None


def _quoted(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= QUOTED_CHARS else f"{text[: QUOTED_CHARS - 5]}...{text[-2:]}"
