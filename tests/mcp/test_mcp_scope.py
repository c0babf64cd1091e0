"""A workflow-scoped server answers for an integration outside its workflow exactly as for a label
that does not exist, so a client cannot learn the labels of other integrations by asking."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from storage.records import Access, LinkSpec, Role
from tests.mcp.harness import DataDir, McpClient, start_client

FEED = "https://127.0.0.1:9/feed.ics"  # never fetched: every call here is refused before connecting
WINDOW = {"start_date": "2026-01-01", "end_date": "2026-01-02"}


@pytest.fixture(scope="module")
def data() -> Iterator[DataDir]:
    data = DataDir()
    team = data.add("ical", "Team", {}, {"url": FEED})
    data.add("ical", "Elsewhere", {}, {"url": FEED + "?other"})
    data.add(
        "imap",
        "Private mail",
        {"host": "127.0.0.1", "port": 9, "tls_mode": "none", "username": "me"},
        {"password": "pw-secret-1"},
    )
    data.storage.workflows.add("Digest", links=[LinkSpec(team, Role.SINK, Access.WRITE)])
    yield data
    data.close()


@pytest.fixture(scope="module")
def client(data: DataDir) -> Iterator[McpClient]:
    client = start_client(data, "--workflow", "Digest", name="digest")
    yield client
    client.close()


def answer(client: McpClient, tool: str, label: str, **arguments: object) -> dict[str, object]:
    """The error as the client sees it, with the label it asked about put back as a placeholder."""
    error = client.error(tool, {"label": label, **arguments})
    return {
        key: value.replace(repr(label), "LABEL") if isinstance(value, str) else value for key, value in error.items()
    }


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("calendar_events", WINDOW),
        ("mail_search", {}),
        ("mail_list_folders", {}),
        ("mail_append", {"subject": "x", "body": "y"}),
        ("mail_move", {"uids": [1], "destination": "Trash"}),
    ],
)
def test_outside_the_workflow_and_no_such_label_get_the_same_answer(
    client: McpClient, tool: str, arguments: dict[str, object]
) -> None:
    missing = answer(client, tool, "Nowhere", **arguments)
    for outside in ("Elsewhere", "elsewhere", "Private mail", "PRIVATE MAIL"):
        assert answer(client, tool, outside, **arguments) == missing
    assert missing["reason"] == "unknown_integration"
    assert missing["message"] == "There is no integration named LABEL in workflow 'Digest'."
    assert missing["integration"] is None


def test_the_workflow_sees_only_its_own_integrations(client: McpClient) -> None:
    listed = client.ok("list_integrations")
    assert "Elsewhere" not in str(listed) and "Private mail" not in str(listed)
    assert "Team" in str(listed)
