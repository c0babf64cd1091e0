"""The browser sign-in against a real local authorization server: loopback redirect, pasted URL, failures."""

from __future__ import annotations

import socket
import threading
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from connectors.errors import ConnectorError, ErrorKind
from connectors.gmail.spec import GOOGLE
from connectors.oauth.provider import OAuthClient
from connectors.oauth.loopback import SignIn, may_open_browser, ssh_tunnel_command
from tests.connectors.gmail.conftest import USER, Google


def _provider(google: Google) -> OAuthClient:
    return GOOGLE.client(google.settings, google.secrets)


def _wait_in_thread(signin: SignIn) -> tuple[threading.Thread, dict]:
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["result"] = signin.wait()
        except ConnectorError as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def _listener_closed(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def test_sign_in_by_loopback_redirect_uses_pkce_and_learns_the_address(oauth_only: Google) -> None:
    signin = SignIn(_provider(oauth_only)).start()
    query = parse_qs(urlsplit(signin.authorization_url).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["redirect_uri"] == [f"http://127.0.0.1:{signin.port}/"]
    assert set(query["scope"][0].split()) == {"https://mail.google.com/", "openid", "email"}
    thread, outcome = _wait_in_thread(signin)
    answer = httpx.get(oauth_only.consent(signin.authorization_url, follow=False))
    thread.join(10)
    assert answer.status_code == 200 and "Signed in" in answer.text
    result = outcome["result"]
    assert result.email == USER
    assert result.refresh_token in oauth_only.oauth.state.live_refresh_tokens()
    assert result.refresh_token not in repr(result) and result.access_token not in repr(result)
    assert _listener_closed(signin.port)


def test_sign_in_by_pasting_the_redirected_address(oauth_only: Google) -> None:
    signin = SignIn(_provider(oauth_only)).start()
    # The browser is elsewhere: its redirect to 127.0.0.1 "fails to load"; the person copies the address.
    location = oauth_only.consent(signin.authorization_url, follow=False)
    assert signin.submit_url(f"  {location}\n") is None
    result = signin.wait()
    assert result is not None and result.email == USER
    assert _listener_closed(signin.port)


def test_a_stale_or_foreign_address_is_explained_and_the_wait_goes_on(oauth_only: Google) -> None:
    old = SignIn(_provider(oauth_only)).start()
    stale = oauth_only.consent(old.authorization_url, follow=False)
    old.close()
    signin = SignIn(_provider(oauth_only)).start()
    message = signin.submit_url(stale)
    assert message is not None and "another sign-in attempt" in message
    answer = httpx.get(f"{signin.redirect_uri}?{urlsplit(stale).query}")
    assert answer.status_code == 400 and "another sign-in attempt" in answer.text
    assert "code=" in (signin.submit_url("https://example.com/nothing") or "")
    no_code = f"{signin.redirect_uri}?state={signin.state}"
    assert "no authorization code" in (signin.submit_url(no_code) or "")
    # The right address still finishes it.
    assert signin.submit_url(oauth_only.consent(signin.authorization_url, follow=False)) is None
    assert signin.wait().email == USER


def test_declined_consent_is_told_in_words(oauth_only: Google) -> None:
    oauth_only.oauth.state.deny_consent = True
    signin = SignIn(_provider(oauth_only)).start()
    thread, outcome = _wait_in_thread(signin)
    oauth_only.consent(signin.authorization_url)
    thread.join(10)
    error = outcome["error"]
    assert error.kind is ErrorKind.AUTH
    assert "Access was not granted" in error.message and "access_denied" not in error.message


def test_the_wait_ends_after_its_timeout_and_closes_the_listener(oauth_only: Google) -> None:
    signin = SignIn(_provider(oauth_only), timeout=0.3).start()
    with pytest.raises(ConnectorError) as caught:
        signin.wait()
    assert caught.value.kind is ErrorKind.TIMEOUT and "No sign-in arrived" in caught.value.message
    assert _listener_closed(signin.port)


def test_cancel_ends_the_wait_without_a_result(oauth_only: Google) -> None:
    signin = SignIn(_provider(oauth_only)).start()
    signin.cancel()
    assert signin.wait() is None
    assert _listener_closed(signin.port)


def test_a_fixed_port_is_used_and_a_busy_one_is_named(oauth_only: Google) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(ConnectorError) as caught:
            SignIn(_provider(oauth_only), port=port).start()
    assert caught.value.field == "redirect_port" and str(port) in caught.value.message
    signin = SignIn(_provider(oauth_only), port=port).start()
    try:
        assert signin.redirect_uri == f"http://127.0.0.1:{port}/"
    finally:
        signin.close()


def test_wrong_client_secret_is_named_after_consent(oauth_only: Google) -> None:
    provider = GOOGLE.client(oauth_only.settings, {"client_secret": "not-the-secret"})
    signin = SignIn(provider).start()
    signin.submit_url(oauth_only.consent(signin.authorization_url, follow=False))
    with pytest.raises(ConnectorError) as caught:
        signin.wait()
    assert caught.value.kind is ErrorKind.AUTH and caught.value.field == "client_secret"


def test_ssh_sessions_get_the_tunnel_command_and_no_browser() -> None:
    env = {"SSH_CONNECTION": "198.51.100.4 52144 192.0.2.10 22", "USER": "ann"}
    assert ssh_tunnel_command(8765, env) == "ssh -N -L 8765:127.0.0.1:8765 ann@192.0.2.10"
    assert not may_open_browser(env)
    assert ssh_tunnel_command(8765, {"USER": "ann"}) is None
    assert may_open_browser({})


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://oauth2.googleapis.com/token", True),
        ("http://127.0.0.1:8080/token", True),
        ("http://localhost/token", True),
        ("http://oauth.example.com/token", False),
    ],
)
def test_plain_http_endpoints_only_on_this_machine(url: str, ok: bool) -> None:
    settings = {"client_id": "id", "token_url": url}
    if ok:
        assert GOOGLE.client(settings, {"client_secret": "s"}).token_url == url
    else:
        with pytest.raises(ConnectorError) as caught:
            GOOGLE.client(settings, {"client_secret": "s"})
        assert caught.value.kind is ErrorKind.CONFIG and caught.value.field == "token_url"
