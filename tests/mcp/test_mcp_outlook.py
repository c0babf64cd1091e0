"""Outlook through `tether mcp`: the same mail tools over XOAUTH2, with Microsoft's rotating refresh tokens."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.connectors.outlook.conftest import INBOX, USER, Microsoft, _dovecot, microsoft, oauth_server  # noqa: F401 - fixtures
from tests.connectors.outlook.test_check import device_sign_in
from tests.mcp.harness import DataDir, assert_no_secret, result_text, start_client

pytestmark = pytest.mark.realserver


@pytest.fixture
def data() -> Iterator[DataDir]:
    data = DataDir()
    yield data
    data.close()


def test_outlook_reads_and_saves_a_draft_and_every_rotation_is_stored(microsoft: Microsoft, data: DataDir) -> None:
    microsoft.oauth.state.access_token_lifetime = 30  # each call refreshes, and each refresh rotates
    signed_in = device_sign_in(microsoft).refresh_token
    refreshes = microsoft.oauth.state.refreshes
    outlook = data.add("outlook", "Outlook", {**microsoft.settings, "address": USER}, {"refresh_token": signed_in})
    client = start_client(data, "--allow-write", name="outlook")
    try:
        listed = client.ok("list_integrations")["integrations"][0]
        inbox = client.ok("mail_search", {"label": "Outlook"})
        saved = client.ok("mail_append", {"label": "Outlook", "subject": "Draft from the assistant", "body": "Hello."})
        texts = [result_text(client.call("mail_list_folders", {"label": "Outlook"})), client.stderr]
    finally:
        client.close()
    assert listed["type"] == "outlook" and listed["type_name"] == "Outlook / Microsoft 365 (OAuth)"
    assert listed["capabilities"] == ["read", "write"] and "mail_move" in listed["tools"]
    assert inbox["total"] == INBOX
    assert saved["folder"] == "Drafts"
    # Three mailbox calls, three refreshes, three rotations: the stored token is the one that still lives.
    assert microsoft.oauth.state.refreshes - refreshes == 3
    stored = data.storage.integrations.read_secrets(data.storage.integrations.get(outlook))["refresh_token"]
    live = microsoft.oauth.state.live_refresh_tokens()
    assert stored in live and signed_in not in live
    data.secrets.extend(microsoft.all_tokens())
    assert_no_secret(data, str(inbox), str(saved), *texts)


def test_a_voided_sign_in_needs_reauthentication_and_says_how(microsoft: Microsoft, data: DataDir) -> None:
    signed_in = device_sign_in(microsoft).refresh_token
    microsoft.oauth.state.revoke_user(USER)
    microsoft.oauth.state.access_token_lifetime = 30
    data.add("outlook", "Outlook", {**microsoft.settings, "address": USER}, {"refresh_token": signed_in})
    client = start_client(data, name="outlook-revoked")
    try:
        first = client.error("mail_search", {"label": "Outlook"})
        status = client.ok("list_integrations")["integrations"][0]["status"]
    finally:
        client.close()
    assert first["reason"] == "needs_reauth" and "tether reauth Outlook" in first["action"]
    assert status == "needs_reauth"
    assert_no_secret(data, first["text"])
