"""Loopback sign-in: OAuth 2.0 authorization code with PKCE, the answer arriving at 127.0.0.1.

The browser is sent back to ``http://127.0.0.1:PORT/``. When that browser runs on another computer
(tether over SSH), the person either opens an ``ssh -L`` tunnel first or pastes the address the
browser ended on ("failed to load"); both answers are checked against this attempt's ``state``.
A pasted address from an older attempt is recognised and explained.
"""

from __future__ import annotations

import queue
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit

from connectors.errors import ConnectorError, ErrorKind
from connectors.oauth.exchange import describe_oauth_error, exchange_code
from connectors.oauth.provider import LOOPBACK, OAuthClient
from connectors.oauth.result import SIGN_IN_TIMEOUT, SignInResult, signed_in, timed_out

_DONE_PAGE = (
    "<!doctype html><title>tether</title><body style='font-family:sans-serif'><h2>{title}</h2><p>{text}</p></body>"
)


@dataclass(frozen=True)
class _Answer:
    code: str | None = None
    error: str | None = None
    description: str | None = None
    cancelled: bool = False


def ssh_tunnel_command(port: int, environ: Mapping[str, str]) -> str | None:
    """The exact ``ssh -L`` command for a person on an SSH session, or None when local."""
    connection = environ.get("SSH_CONNECTION", "").split()
    if len(connection) < 3:
        return None
    server = connection[2]
    if ":" in server:  # an IPv6 address: ssh accepts it bare, but it must be unambiguous
        server = server.split("%")[0]
    user = environ.get("USER") or environ.get("LOGNAME") or ""
    target = f"{user}@{server}" if user else server
    return f"ssh -N -L {port}:127.0.0.1:{port} {target}"


def may_open_browser(environ: Mapping[str, str]) -> bool:
    """Opening a browser on a machine reached over SSH would open it where nobody sees it."""
    return not environ.get("SSH_CONNECTION")


class SignIn:
    """One sign-in attempt. Start it, show ``authorization_url``, then ``wait()`` in a worker thread."""

    method = LOOPBACK

    def __init__(self, client: OAuthClient, *, port: int | None = None, timeout: float = SIGN_IN_TIMEOUT) -> None:
        self.client = client
        self.requested_port = port
        self.timeout = timeout
        self.state = secrets.token_urlsafe(24)
        self._verifier = secrets.token_urlsafe(64)
        self._answers: queue.Queue[_Answer] = queue.Queue()
        self._server: HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0
        self.redirect_uri = ""
        self.authorization_url = ""

    def __repr__(self) -> str:
        return f"SignIn(port={self.port})"

    def start(self) -> SignIn:
        """Open the loopback listener and build the authorization URL."""
        self._server = self._listen(self.requested_port or 0)
        self.port = self._server.server_address[1]
        self.redirect_uri = f"http://127.0.0.1:{self.port}/"
        with self.client.session(self.redirect_uri) as session:
            self.authorization_url, _ = session.create_authorization_url(
                self.client.urls["authorize_url"],
                state=self.state,
                code_verifier=self._verifier,
                **self.client.provider.authorize_params,
            )
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="oauth-redirect", daemon=True
        )
        self._thread.start()
        return self

    def _listen(self, port: int) -> HTTPServer:
        handler = type("RedirectHandler", (_RedirectHandler,), {"signin": self})
        try:
            return HTTPServer(("127.0.0.1", port), handler)
        except OSError:
            raise ConnectorError(
                ErrorKind.CONFIG,
                f"Port {port} on 127.0.0.1 is already in use, so the sign-in cannot listen there.",
                hint="Choose another sign-in port, or leave it empty for any free one.",
                field="redirect_port",
            ) from None

    def close(self) -> None:
        """Stop listening; safe to call more than once."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()

    def cancel(self) -> None:
        self._answers.put(_Answer(cancelled=True))

    # --- answers ---------------------------------------------------------------------------

    def submit_url(self, text: str) -> str | None:
        """Take the address the browser was sent to. Returns a message when it cannot be used."""
        text = text.strip()
        if not text:
            return "Paste the whole address from the browser's address bar."
        query = urlsplit(text).query if "://" in text else text.lstrip("/?")
        params = {key: values[0] for key, values in parse_qs(query).items()}
        message = self._judge(params)
        return message

    def _judge(self, params: Mapping[str, str]) -> str | None:
        """Accept an answer for this attempt, or say why not (and keep waiting)."""
        if "state" not in params and "code" not in params and "error" not in params:
            return (
                "That is not the address the browser was sent to after signing in: it should start with "
                f"{self.redirect_uri or 'http://127.0.0.1:PORT/'} and contain code= and state=."
            )
        if not secrets.compare_digest(params.get("state", ""), self.state):
            return (
                "That address belongs to another sign-in attempt (its state does not match this one). "
                "Open the link shown now and paste the address you land on."
            )
        if params.get("error"):
            self._answers.put(_Answer(error=params["error"], description=params.get("error_description")))
            return None
        if not params.get("code"):
            return "That address has no authorization code; paste the full address, including everything after '?'."
        self._answers.put(_Answer(code=params["code"]))
        return None

    # --- finishing -------------------------------------------------------------------------

    def wait(self) -> SignInResult | None:
        """Block until the redirect arrives, a URL is pasted, or the attempt is cancelled (None).

        Then exchange the code and learn the account's address. The listener is closed either way.
        """
        try:
            try:
                answer = self._answers.get(timeout=self.timeout)
            except queue.Empty:
                raise timed_out(self.timeout) from None
        finally:
            self.close()
        if answer.cancelled:
            return None
        provider = self.client.provider
        if answer.error is not None:
            kind = ErrorKind.AUTH if answer.error == "access_denied" else ErrorKind.SERVER
            raise ConnectorError(kind, describe_oauth_error(provider, answer.error, answer.description))
        assert answer.code is not None
        return signed_in(self.client, exchange_code(self.client, answer.code, self._verifier, self.redirect_uri))


class _RedirectHandler(BaseHTTPRequestHandler):
    signin: SignIn

    def log_message(self, format: str, *args: object) -> None:
        pass  # the query holds the code: never log it

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        params = {key: values[0] for key, values in parse_qs(parts.query).items()}
        if not params:
            self._page(404, "Nothing here", "This address only receives the answer of a tether sign-in.")
            return
        message = self.signin._judge(params)
        if message is not None:
            self._page(400, "This sign-in cannot be used", message)
        elif "error" in params:
            self._page(
                200,
                "Sign-in not completed",
                describe_oauth_error(self.signin.client.provider, params["error"]) + " Return to tether.",
            )
        else:
            self._page(200, "Signed in", "You can close this tab and return to tether.")

    def _page(self, status: int, title: str, text: str) -> None:
        import html

        body = _DONE_PAGE.format(title=html.escape(title), text=html.escape(text)).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
