"""Tool arguments are checked against the input schemas without a JSON Schema library, as strictly as one."""

from __future__ import annotations

from typing import Any

import pytest

from app.mcp.arguments import SUPPORTED_KEYWORDS, first_problem
from app.mcp.tools import all_tools

TOOLS = {tool.name: tool for tool in all_tools()}


def _keywords(schema: dict[str, Any]) -> set[str]:
    found = set(schema)
    for member in schema.get("properties", {}).values():
        found |= _keywords(member)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            found |= _keywords(schema[key])
    return found


@pytest.mark.parametrize("name", sorted(TOOLS))
def test_every_input_schema_uses_only_what_is_checked(name: str) -> None:
    assert _keywords(TOOLS[name].input_schema) <= SUPPORTED_KEYWORDS


@pytest.mark.parametrize(
    ("tool", "arguments", "message"),
    [
        ("mail_search", {"label": 5}, "label: 5 is not of type 'string'"),
        ("mail_search", {"label": ""}, "label: '' should be non-empty"),
        ("mail_search", {}, "'label' is a required property"),
        ("mail_search", {"label": "M", "bogus": 1}, "Additional properties are not allowed ('bogus' was unexpected)"),
        ("mail_search", {"label": "M", "limit": 0}, "limit: 0 is less than the minimum of 1"),
        ("mail_search", {"label": "M", "limit": 101}, "limit: 101 is greater than the maximum of 100"),
        ("mail_search", {"label": "M", "limit": True}, "limit: True is not of type 'integer'"),
        ("mail_search", {"label": "M", "limit": 2.0}, "limit: 2.0 is not of type 'integer'"),
        ("mail_move", {"label": "M", "uids": [], "destination": "A"}, "uids: [] should be non-empty"),
        ("mail_move", {"label": "M", "uids": [3, 0], "destination": "A"}, "uids.1: 0 is less than the minimum of 1"),
        ("mail_move", {"label": "M", "uids": list(range(1, 502)), "destination": "A"}, "uids: [1, 2, 3, 4, 5, 6, 7"),
        (
            "mail_append",
            {"label": "M", "subject": "s", "body": "b", "flags": ["\\Deleted"]},
            "flags.0: '\\\\Deleted' is not one of",
        ),
        ("list_integrations", {"x": 1, "y": 2}, "Additional properties are not allowed ('x', 'y' were unexpected)"),
    ],
)
def test_a_bad_argument_is_named_with_what_is_wrong(tool: str, arguments: dict[str, Any], message: str) -> None:
    problem = first_problem(TOOLS[tool].input_schema, arguments)
    assert problem is not None and problem.startswith(message)
    assert len(problem) < 200  # a long value is quoted in part


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("list_integrations", {}),
        ("mail_search", {"label": "M", "folder": "INBOX", "text": "", "unseen": False, "limit": 100, "offset": 0}),
        ("mail_set_flags", {"label": "M", "uids": [1, 2], "seen": True}),
        ("mail_append", {"label": "M", "subject": "", "body": "", "to": [], "flags": ["\\Seen", "\\Draft"]}),
        ("calendar_events", {"label": "Team", "start_date": "2026-01-01", "end_date": "2026-01-02"}),
    ],
)
def test_good_arguments_pass(tool: str, arguments: dict[str, Any]) -> None:
    assert first_problem(TOOLS[tool].input_schema, arguments) is None


# Values of every JSON kind, for every argument.
ANY_KIND: list[Any] = [None, True, False, 0, 1, -1, 2.0, 2.5, "", "x", [], [1], [0], ["x"], [None], {}, {"x": 1}]


def edges(schema: dict[str, Any]) -> list[Any]:
    """Values at the edges of what ``schema`` allows, on both sides."""
    values: list[Any] = list(schema.get("enum", []))
    if "minimum" in schema:
        values += [schema["minimum"] - 1, schema["minimum"]]
    if "maximum" in schema:
        values += [schema["maximum"], schema["maximum"] + 1]
    if "items" in schema:
        for item in edges(schema["items"]) + ANY_KIND:
            values += [[item], [item] * schema.get("maxItems", 2), [item] * (schema.get("maxItems", 2) + 1)]
    return values


# One valid call per tool; each case changes one argument of it, or leaves one out.
VALID = {
    "list_integrations": {},
    "mail_list_folders": {"label": "M"},
    "mail_search": {"label": "M"},
    "mail_fetch": {"label": "M", "uid": 1},
    "mail_append": {"label": "M", "subject": "s", "body": "b"},
    "mail_set_flags": {"label": "M", "uids": [1]},
    "mail_move": {"label": "M", "uids": [1], "destination": "A"},
    "calendar_events": {"label": "M", "start_date": "2026-01-01", "end_date": "2026-01-02"},
}


def changed_calls(name: str) -> list[dict[str, Any]]:
    properties = TOOLS[name].input_schema["properties"]
    calls = [{key: value for key, value in VALID[name].items() if key != left_out} for left_out in VALID[name]]
    for key in [*properties, "extra"]:
        calls += [VALID[name] | {key: value} for value in edges(properties.get(key, {})) + ANY_KIND]
    return calls


def _integral_float(value: Any) -> bool:
    if isinstance(value, list):
        return any(_integral_float(item) for item in value)
    return isinstance(value, float) and value.is_integer()


@pytest.mark.parametrize("name", sorted(TOOLS))
def test_the_check_agrees_with_jsonschema(name: str) -> None:
    from jsonschema import Draft202012Validator

    assert set(VALID) == set(TOOLS)
    schema = TOOLS[name].input_schema
    validator = Draft202012Validator(schema)
    for arguments in changed_calls(name):
        mine = first_problem(schema, arguments)
        if any(_integral_float(value) for value in arguments.values()):
            assert mine is not None, arguments  # stricter than jsonschema: 2.0 is no message UID
        else:
            assert (mine is None) == validator.is_valid(arguments), (arguments, mine)
