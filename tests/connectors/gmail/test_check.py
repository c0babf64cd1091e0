"""The Gmail check against the local OAuth server and a Dovecot that introspects its tokens (XOAUTH2)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from connectors.errors import ConnectorError, ErrorKind
from connectors.oauth import tokens
from connectors.gmail.check import check, expiry_warnings
from connectors.gmail.spec import GOOGLE
from connectors.oauth.access import revoke
from connectors.oauth.loopback import SignIn
from connectors.oauth.result import SignInResult
from connectors.types import CheckRequest
from tests.connectors.gmail.conftest import INBOX, UNSEEN, USER, Google


def _sign_in(google: Google) -> SignInResult:
    signin = SignIn(GOOGLE.client(google.settings, google.secrets)).start()
    signin.submit_url(google.consent(signin.authorization_url, follow=False))
    result = signin.wait()
    assert result is not None
    return result


def _request(
    google: Google, refresh_token: str, saved: dict[str, str] | None = None, **settings: object
) -> CheckRequest:
    return CheckRequest(
        {**google.settings, **settings},
        {**google.secrets, "refresh_token": refresh_token},
        save_secret=saved.__setitem__ if saved is not None else None,
    )


def test_check_signs_in_to_imap_with_xoauth2_and_previews_inbox(google: Google) -> None:
    result = _sign_in(google)
    refreshes = google.oauth.state.refreshes
    outcome = check(_request(google, result.refresh_token))
    assert outcome.summary.startswith(f"INBOX {INBOX} messages, {UNSEEN} unread")
    assert f"Google account {USER}" in outcome.details
    assert any("XOAUTH2" in line for line in outcome.details)
    assert outcome.learned_settings == {"address": USER}
    # The access token from the sign-in was still fresh: no refresh was needed.
    assert google.oauth.state.refreshes == refreshes


def test_a_token_near_expiry_is_refreshed_first_and_the_rotated_refresh_token_is_handed_back(google: Google) -> None:
    google.oauth.state.access_token_lifetime = 30  # inside the early-refresh margin
    result = _sign_in(google)
    saved: dict[str, str] = {}
    introspections = google.oauth.state.introspections
    outcome = check(_request(google, result.refresh_token, saved, address=USER))
    assert outcome.summary.startswith(f"INBOX {INBOX} messages")
    new = saved["refresh_token"]
    assert new != result.refresh_token
    live = google.oauth.state.live_refresh_tokens()
    assert new in live and result.refresh_token not in live
    # Dovecot was shown the refreshed access token, exactly once.
    assert google.oauth.state.introspections == introspections + 1
    # The next check uses the new refresh token's cached access token.
    google.oauth.state.access_token_lifetime = 3600
    assert check(_request(google, new, saved, address=USER)).summary == outcome.summary


def test_revoked_grant_means_needs_reauthentication(google: Google) -> None:
    result = _sign_in(google)
    google.oauth.state.revoke_user(USER)  # e.g. the password was changed
    with pytest.raises(ConnectorError) as caught:
        check(_request(google, result.refresh_token, address=USER))
    assert caught.value.kind is ErrorKind.NEEDS_REAUTH
    assert result.refresh_token not in str(caught.value)


def test_no_refresh_token_means_not_signed_in(google: Google) -> None:
    with pytest.raises(ConnectorError) as caught:
        check(CheckRequest(google.settings, google.secrets))
    assert caught.value.kind is ErrorKind.NEEDS_REAUTH


def test_revoke_ends_the_grant_and_reports_failure_in_words(google: Google) -> None:
    result = _sign_in(google)
    assert revoke(GOOGLE, google.settings, {**google.secrets, "refresh_token": result.refresh_token}) is None
    assert result.refresh_token not in google.oauth.state.live_refresh_tokens()
    with pytest.raises(ConnectorError):
        tokens.current_tokens(GOOGLE.client(google.settings, google.secrets), result.refresh_token, force=True)
    unreachable = {**google.settings, "revoke_url": "https://127.0.0.1:9/revoke"}
    message = revoke(GOOGLE, unreachable, {**google.secrets, "refresh_token": "whatever-token"})
    assert message is not None and "Could not revoke" in message and "whatever-token" not in message


def test_reminder_in_the_last_two_days_of_a_testing_consent_screen() -> None:
    issued = datetime(2026, 1, 1, tzinfo=UTC)
    assert expiry_warnings(issued.isoformat(), now=issued + timedelta(days=4)) == ()
    warning = expiry_warnings(issued.isoformat(), now=issued + timedelta(days=5, hours=12))
    assert len(warning) == 1 and "2026-01-08" in warning[0]
    assert expiry_warnings(issued.isoformat(), now=issued + timedelta(days=8)) == ()  # published: it lived on
    assert expiry_warnings(None) == ()


def test_the_testing_reminder_is_google_s_alone_and_the_issue_date_is_kept_in_state(google: Google) -> None:
    from connectors.gmail.check import expiry_warnings

    result = _sign_in(google)
    six_days_ago = (datetime.now(UTC) - timedelta(days=6)).replace(microsecond=0).isoformat()
    # Google's own endpoints: the reminder in the last two days of a Testing consent screen's 7.
    assert any("may end this sign-in" in warning for warning in expiry_warnings(six_days_ago))
    assert expiry_warnings((datetime.now(UTC) - timedelta(days=3)).isoformat()) == ()
    # This test's server is not Google: its check neither warns of Google's rule nor explains it.
    outcome = check(_request(google, result.refresh_token, address=USER, refresh_issued_at=six_days_ago))
    assert not any("Testing" in text for text in (*outcome.warnings, *outcome.details))
    assert outcome.state == {"refresh_issued_at": six_days_ago}
    # Settings rewritten without it (an edit): the state from the last check still knows.
    request = CheckRequest(
        {**google.settings, "address": USER},
        {**google.secrets, "refresh_token": result.refresh_token},
        state=outcome.state,
    )
    assert check(request).warnings == outcome.warnings


def test_two_checks_at_once_share_one_refresh_and_both_learn_the_rotated_token(google: Google) -> None:
    from concurrent.futures import ThreadPoolExecutor

    google.oauth.state.access_token_lifetime = 30  # every check must refresh
    result = _sign_in(google)
    google.oauth.state.access_token_lifetime = 3600
    refreshes = google.oauth.state.refreshes
    provider = GOOGLE.client(google.settings, google.secrets)
    with ThreadPoolExecutor(2) as pool:
        got = list(pool.map(lambda _: tokens.current_tokens(provider, result.refresh_token), range(2)))
    assert google.oauth.state.refreshes == refreshes + 1
    assert got[0][0].access_token == got[1][0].access_token
    assert got[0][1] == got[1][1] != result.refresh_token
