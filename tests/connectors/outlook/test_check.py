"""The Outlook check over XOAUTH2 against Dovecot, with Microsoft's rotation of the refresh token on every use."""

from __future__ import annotations

import pytest

from connectors.errors import ConnectorError, ErrorKind
from connectors.oauth.access import revoke
from connectors.oauth.device import DeviceSignIn
from connectors.oauth.loopback import SignIn
from connectors.oauth.result import SignInResult
from connectors.outlook.check import check
from connectors.outlook.spec import MICROSOFT
from connectors.types import CheckRequest
from tests.connectors.outlook.conftest import INBOX, UNSEEN, USER, Microsoft


def device_sign_in(microsoft: Microsoft) -> SignInResult:
    signin = DeviceSignIn(MICROSOFT.client(microsoft.settings, {})).start()
    microsoft.verification_page(signin.authorization_url)
    result = signin.wait()
    assert result is not None
    return result


def test_check_after_a_device_sign_in_reads_inbox_over_xoauth2_and_stores_the_rotated_token(
    microsoft: Microsoft,
) -> None:
    microsoft.oauth.state.access_token_lifetime = 30  # inside the early-refresh margin: the check must refresh
    result = device_sign_in(microsoft)
    saved: dict[str, str] = {}
    outcome = check(
        CheckRequest(microsoft.settings, {"refresh_token": result.refresh_token}, save_secret=saved.__setitem__)
    )
    assert outcome.summary.startswith(f"INBOX {INBOX} messages, {UNSEEN} unread")
    assert f"Microsoft account {USER}" in outcome.details
    assert any("XOAUTH2" in line for line in outcome.details)
    assert outcome.learned_settings == {"address": USER}
    # Microsoft hands out a new refresh token on every use and voids the old one: the new one was kept.
    live = microsoft.oauth.state.live_refresh_tokens()
    assert saved["refresh_token"] != result.refresh_token
    assert saved["refresh_token"] in live and result.refresh_token not in live


def test_the_rotated_token_is_kept_even_when_the_imap_step_then_fails(microsoft: Microsoft) -> None:
    microsoft.oauth.state.access_token_lifetime = 30
    result = device_sign_in(microsoft)
    saved: dict[str, str] = {}
    unreachable = {**microsoft.settings, "address": USER, "imap_port": 9}
    with pytest.raises(ConnectorError) as caught:
        check(
            CheckRequest(unreachable, {"refresh_token": result.refresh_token}, save_secret=saved.__setitem__, timeout=3)
        )
    assert caught.value.kind in (ErrorKind.UNREACHABLE, ErrorKind.TIMEOUT)
    assert saved["refresh_token"] in microsoft.oauth.state.live_refresh_tokens()


def test_a_loopback_sign_in_with_pkce_works_for_a_public_client(microsoft: Microsoft) -> None:
    signin = SignIn(MICROSOFT.client(microsoft.settings, {})).start()
    assert "code_challenge_method=S256" in signin.authorization_url and "client_secret" not in signin.authorization_url
    microsoft.consent(signin.authorization_url)
    result = signin.wait()
    assert result is not None and result.email == USER
    outcome = check(CheckRequest({**microsoft.settings, "address": USER}, {"refresh_token": result.refresh_token}))
    assert outcome.summary.startswith(f"INBOX {INBOX} messages")


def test_a_voided_refresh_token_needs_reauthentication(microsoft: Microsoft) -> None:
    result = device_sign_in(microsoft)
    microsoft.oauth.state.revoke_user(USER)  # what removing tether's access in the account does
    with pytest.raises(ConnectorError) as caught:
        check(CheckRequest(microsoft.settings, {"refresh_token": result.refresh_token}))
    assert caught.value.kind is ErrorKind.NEEDS_REAUTH and "Microsoft no longer accepts" in caught.value.message


def test_there_is_nothing_to_revoke_so_the_person_is_told_where_to_remove_access(microsoft_only: Microsoft) -> None:
    result = device_sign_in(microsoft_only)
    message = revoke(MICROSOFT, microsoft_only.settings, {"refresh_token": result.refresh_token})
    assert message is not None and "account.live.com/consent/Manage" in message and "myapps.microsoft.com" in message
    assert result.refresh_token not in message
    assert microsoft_only.oauth.state.revocations == 0
