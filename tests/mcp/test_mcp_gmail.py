"""Gmail through `tether mcp`: the same mail tools over XOAUTH2, against the local OAuth server and Dovecot."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.core.toggle import set_disabled
from connectors.gmail.spec import GOOGLE
from connectors.oauth.loopback import SignIn
from tests.connectors.gmail.conftest import INBOX, USER, Google, _dovecot, google, oauth_server  # noqa: F401 - fixtures
from tests.mcp.harness import DataDir, assert_no_secret, result_text, start_client

pytestmark = pytest.mark.realserver


@pytest.fixture
def data() -> Iterator[DataDir]:
    data = DataDir()
    yield data
    data.close()


def _refresh_token(google: Google) -> str:
    signin = SignIn(GOOGLE.client(google.settings, google.secrets)).start()
    signin.submit_url(google.consent(signin.authorization_url, follow=False))
    result = signin.wait()
    assert result is not None
    return result.refresh_token


def test_gmail_reads_and_saves_a_draft_over_xoauth2(google: Google, data: DataDir) -> None:
    signed_in = _refresh_token(google)
    gmail = data.add(
        "gmail", "Gmail", {**google.settings, "address": USER}, {**google.secrets, "refresh_token": signed_in}
    )
    data.add("ical", "Feed", {}, {"url": "https://127.0.0.1:9/cal.ics"})
    client = start_client(data, "--allow-write", name="gmail")
    try:
        listed = next(item for item in client.ok("list_integrations")["integrations"] if item["label"] == "Gmail")
        inbox = client.ok("mail_search", {"label": "Gmail"})
        saved = client.ok("mail_append", {"label": "Gmail", "subject": "Draft from the assistant", "body": "Hello."})
        drafts = client.ok("mail_search", {"label": "Gmail", "folder": saved["folder"], "text": "assistant"})
        texts = [result_text(client.call("mail_list_folders", {"label": "Gmail"})), client.stderr]
        set_disabled(data.storage, gmail, True)
        disabled = client.error("mail_search", {"label": "Gmail"})
        other = client.error("calendar_events", {"label": "Feed", "start_date": "2026-01-01", "end_date": "2026-01-01"})
    finally:
        client.close()
    assert listed["type"] == "gmail" and listed["capabilities"] == ["read", "write"]
    assert inbox["total"] == INBOX
    assert saved["folder"] == "Drafts" and saved["message_id"].endswith("@example.com>")
    assert [item["subject"] for item in drafts["messages"]] == ["Draft from the assistant"]
    # The server refreshed the access token, Google rotated the refresh token, and the new one was stored.
    stored = data.storage.integrations.read_secrets(data.storage.integrations.get(gmail))["refresh_token"]
    live = google.oauth.state.live_refresh_tokens()
    assert stored != signed_in and stored in live and signed_in not in live
    assert disabled["reason"] == "disabled"
    assert other["reason"] == "unreachable"  # still tried: disabling Gmail touches nothing else
    data.secrets.extend(google.all_tokens())
    assert_no_secret(data, str(inbox), str(saved), *texts)


def test_a_refused_refresh_token_needs_reauthentication(google: Google, data: DataDir) -> None:
    data.add(
        "gmail",
        "Gmail",
        {**google.settings, "address": USER},
        {**google.secrets, "refresh_token": "revoked-or-never-issued"},
    )
    client = start_client(data, name="gmail-revoked")
    try:
        first = client.error("mail_search", {"label": "Gmail"})
        second = client.error("mail_search", {"label": "Gmail"})
        status = client.ok("list_integrations")["integrations"][0]["status"]
    finally:
        client.close()
    assert first["reason"] == "needs_reauth"
    assert "tether reauth Gmail" in first["action"]
    # Recorded like a check would, so tether shows it; the next call is refused without asking Google.
    assert status == "needs_reauth"
    assert second["reason"] == "needs_reauth"
    assert second["message"].startswith(
        "'Gmail' needs you to sign in again."
    )  # refused from the status, before any request
    assert_no_secret(data, first["text"], second["text"])
