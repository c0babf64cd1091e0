"""Device-code sign-in (RFC 8628) against the local authorization server: every answer the server can give."""

from __future__ import annotations

import threading
import time

import pytest

from connectors.errors import ConnectorError, ErrorKind
from connectors.gmail.spec import GOOGLE
from connectors.oauth.device import SLOW_DOWN_STEP, DeviceSignIn
from connectors.outlook.spec import MICROSOFT
from tests.connectors.outlook.conftest import USER, Microsoft

SSH = {"SSH_CONNECTION": "198.51.100.4 52144 192.0.2.10 22"}


def _start(microsoft: Microsoft, **kwargs: float) -> DeviceSignIn:
    return DeviceSignIn(MICROSOFT.client(microsoft.settings, {}), **kwargs).start()


def test_device_code_sign_in_shows_a_code_polls_while_pending_and_learns_the_address(microsoft_only: Microsoft) -> None:
    signin = _start(microsoft_only)
    assert signin.verification_uri == microsoft_only.oauth.url("/device")
    assert len(signin.user_code) == 9 and signin.user_code[4] == "-"
    state = microsoft_only.oauth.state
    polls_before = state.device_polls
    # The person is slow: tether hears authorization_pending twice before they allow it.
    microsoft_only.when(
        lambda: state.device_polls >= polls_before + 2,
        lambda: microsoft_only.verification_page(signin.authorization_url),
    )
    result = signin.wait()
    assert result is not None and result.email == USER  # from the ID token: no userinfo endpoint at Microsoft's
    assert signin.polls >= 3
    assert result.refresh_token in state.live_refresh_tokens()
    assert "user_code" in signin.authorization_url and signin.user_code in signin.authorization_url


def test_polls_wait_the_interval_the_server_gave(microsoft_only: Microsoft) -> None:
    state = microsoft_only.oauth.state
    state.device_interval = 1
    signin = _start(microsoft_only)
    assert signin.interval == 1
    started = time.monotonic()
    # Approve once the third poll has started: polls one and two have had their pending answers by then
    # (approving when the second started could let that very poll carry the grant on a busy machine).
    microsoft_only.when(lambda: signin.polls >= 3, lambda: microsoft_only.verification_page(signin.authorization_url))
    assert signin.wait() is not None
    # At least two pending answers and the grant, each poll after a full interval of waiting.
    assert signin.polls >= 3 and time.monotonic() - started >= signin.polls * 0.9  # timers may wake a hair early


def test_slow_down_adds_to_the_interval_for_good(microsoft_only: Microsoft) -> None:
    assert SLOW_DOWN_STEP == 5.0  # what RFC 8628 asks; the test uses a smaller step to stay fast
    state = microsoft_only.oauth.state
    state.slow_down_polls = 2
    signin = _start(microsoft_only, slow_down_step=0.2)
    microsoft_only.when(
        lambda: state.slow_down_polls == 0, lambda: microsoft_only.verification_page(signin.authorization_url)
    )
    assert signin.wait() is not None
    assert signin.interval == pytest.approx(0.4)


def test_an_expired_code_ends_the_attempt_in_words(microsoft_only: Microsoft) -> None:
    signin = _start(microsoft_only)
    microsoft_only.oauth.state.expire_devices()
    with pytest.raises(ConnectorError) as caught:
        signin.wait()
    assert caught.value.kind is ErrorKind.TIMEOUT
    assert "expired" in caught.value.message and "again" in (caught.value.hint or "")


def test_a_refused_sign_in_says_access_was_not_granted(microsoft_only: Microsoft) -> None:
    microsoft_only.oauth.state.deny_consent = True
    signin = _start(microsoft_only)
    microsoft_only.verification_page(signin.authorization_url)
    with pytest.raises(ConnectorError) as caught:
        signin.wait()
    assert caught.value.kind is ErrorKind.AUTH and "not granted" in caught.value.message


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("authorization_declined", "declined"),  # Microsoft's word for access_denied
        ("invalid_grant", "no longer valid"),  # Microsoft's answer for a code it no longer knows
        ("bad_verification_code", "no longer valid"),
    ],
)
def test_microsofts_own_error_codes_end_the_attempt_in_words(microsoft_only: Microsoft, code: str, words: str) -> None:
    microsoft_only.oauth.state.device_error = code
    signin = _start(microsoft_only)
    with pytest.raises(ConnectorError) as caught:
        signin.wait()
    assert caught.value.kind is ErrorKind.AUTH and words in caught.value.message


def test_cancel_stops_polling_at_once(microsoft_only: Microsoft) -> None:
    microsoft_only.oauth.state.device_interval = 30
    signin = _start(microsoft_only)
    outcome: list[object] = []
    waiter = threading.Thread(target=lambda: outcome.append(signin.wait()))
    waiter.start()
    started = time.monotonic()
    signin.cancel()
    waiter.join(5)
    assert outcome == [None] and time.monotonic() - started < 2 and signin.polls == 0


def test_our_own_deadline_ends_a_code_nobody_enters(microsoft_only: Microsoft) -> None:
    signin = DeviceSignIn(MICROSOFT.client(microsoft_only.settings, {}), timeout=0.3).start()
    with pytest.raises(ConnectorError) as caught:
        signin.wait()
    assert caught.value.kind is ErrorKind.TIMEOUT and caught.value.message.startswith("No sign-in arrived within")


def test_an_unknown_client_is_named_before_any_code_is_shown(microsoft_only: Microsoft) -> None:
    settings = {**microsoft_only.settings, "client_id": "not-registered"}
    with pytest.raises(ConnectorError) as caught:
        DeviceSignIn(MICROSOFT.client(settings, {})).start()
    assert caught.value.kind is ErrorKind.AUTH and caught.value.field == "client_id"
    assert "public client flows" in caught.value.message


def test_device_code_is_offered_where_the_provider_has_the_endpoint_and_is_the_default_over_ssh() -> None:
    assert MICROSOFT.sign_in_methods({}) == ("loopback", "device")
    assert MICROSOFT.default_method({}, SSH) == "device"
    assert MICROSOFT.default_method({}, {}) == "loopback"
    assert GOOGLE.sign_in_methods({}) == ("loopback",)
    assert GOOGLE.default_method({}, SSH) == "loopback"
    # Any provider whose settings name a device endpoint offers it.
    assert GOOGLE.sign_in_methods({"device_url": "https://oauth2.googleapis.com/device/code"}) == ("loopback", "device")
