"""An open, signed-in IMAP session: connect, TLS, sign in (retried when transient), run commands, log out.

    with ImapSession(ImapServer("imap.example.com"), PasswordAuth("me", "pw")) as session:
        session.run("list folders", lambda client: client.list_folders())

Every failure comes out as a classified ConnectorError; nothing here imports Textual or storage.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from connectors.deadline import Deadline, bounded
from connectors.errors import ConnectorError, ErrorKind
from connectors.imap.auth import ImapAuth, log_in, password_auth
from connectors.imap.connection import DEFAULT_TIMEOUT, ImapServer, open_client
from connectors.imap.replies import command_refused, server_words
from connectors.imap.tokens import imap_folder
from connectors.retry import RetryPolicy, with_retries
from connectors.tcp_tls import network_error

T = TypeVar("T")

# One quick retry: enough for a reset or a busy server, short enough for a person waiting on a check.
DEFAULT_RETRY = RetryPolicy(attempts=2, base_delay=0.4, max_delay=2.0, max_retry_after=5.0)
_MIN_ATTEMPT = 1.0  # seconds an attempt needs to be worth starting


class ImapSession:
    def __init__(self, server: ImapServer, auth: ImapAuth, *, retry: RetryPolicy = DEFAULT_RETRY) -> None:
        self.server = server
        self.auth = auth
        self.retry = retry
        self._client: Any = None
        self.login_method = ""
        self.greeting = ""
        self.tls_version = ""
        self._capabilities: frozenset[str] = frozenset()

    @classmethod
    def from_settings(
        cls,
        settings: Mapping[str, Any],
        secrets: Mapping[str, str],
        *,
        timeout: float = DEFAULT_TIMEOUT,
        auth: ImapAuth | None = None,
    ) -> ImapSession:
        """A session for a stored IMAP integration's settings and secrets (password unless ``auth`` is given)."""
        return cls(ImapServer.from_settings(settings, timeout), auth or password_auth(settings, secrets))

    # --- lifecycle ---------------------------------------------------------------------------

    def open(self) -> ImapSession:
        """Connect and sign in. Transient failures are retried within one timeout's worth of time."""
        if self._client is not None:
            return self
        deadline = time.monotonic() + self.server.timeout
        last: list[ConnectorError] = []

        def attempt() -> Any:
            try:
                return self._connect_and_log_in(deadline)
            except ConnectorError as error:
                last[:] = [error]
                raise

        def wait_within_deadline(seconds: float) -> None:
            if time.monotonic() + seconds + _MIN_ATTEMPT > deadline:
                raise last[0]
            time.sleep(seconds)

        self._client = with_retries(attempt, self.retry, sleep=wait_within_deadline)
        return self

    def _connect_and_log_in(self, deadline: float) -> Any:
        import imaplib

        # Connecting, TLS, the greeting and signing in share one wall-clock deadline.
        with bounded(Deadline(self.server.timeout, at=deadline), self.server.timed_out) as limit:
            client = open_client(self.server, limit)
            limit.stage = "the sign-in"
            try:
                self.greeting = _greeting_text(client.welcome or b"")
                self.login_method = log_in(client, self.auth, self.server.where)
                self._capabilities = frozenset(cap.decode("ascii", "replace").upper() for cap in client.capabilities())
            except imaplib.IMAP4.error as exc:  # an odd reply around sign-in (abort included)
                _shutdown(client)
                words = server_words(exc, self.auth.secrets)
                raise ConnectorError(
                    ErrorKind.BAD_DATA, f"{self.server.where} answered unexpectedly while signing in: “{words}”"
                ) from None
            except OSError as exc:
                _shutdown(client)
                raise network_error(exc, self.server.where) from None
            except BaseException:
                _shutdown(client)
                raise
        # Every folder name imapclient sends (SELECT, STATUS, APPEND, MOVE, LIST...) goes through the one quoting function.
        client._normalise_folder = _folder_on_the_wire
        version = getattr(client.socket(), "version", None)
        self.tls_version = version() if callable(version) else ""
        return client

    def close(self) -> None:
        """Log out politely; a broken connection is just dropped."""
        client, self._client = self._client, None
        if client is None:
            return
        try:
            with bounded(Deadline(self.server.timeout), self.server.timed_out) as limit:
                limit.watch(client.socket())
                client.logout()
        except Exception:  # the server may already have gone; closing is all that is left
            _shutdown(client)

    def __enter__(self) -> ImapSession:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- what the server offers --------------------------------------------------------------

    @property
    def capabilities(self) -> frozenset[str]:
        return self._capabilities

    def supports(self, capability: str) -> bool:
        return capability.upper() in self._capabilities

    @property
    def client(self) -> Any:
        """The underlying IMAPClient, for commands this module does not wrap. Use ``run`` to call it."""
        if self._client is None:
            raise ConnectorError(ErrorKind.CONFIG, "The IMAP session is not open.")
        return self._client

    # --- commands ----------------------------------------------------------------------------

    def run(self, what: str, command: Callable[[Any], T]) -> T:
        """Run ``command(client)`` within the timeout; failures become ConnectorErrors saying what we tried to do."""
        client = self.client
        with bounded(Deadline(self.server.timeout), self.server.timed_out) as limit:
            limit.stage = f"the request to {what}"
            limit.watch(client.socket())
            try:
                return self._run(what, command, client)
            except Exception:
                if limit.fired:  # the watchdog shut the socket: the session is over
                    self._drop()
                raise

    def _run(self, what: str, command: Callable[[Any], T], client: Any) -> T:
        import imaplib

        try:
            return command(client)
        except imaplib.IMAP4.abort as exc:
            self._drop()
            words = server_words(exc, self.auth.secrets)
            raise ConnectorError(
                ErrorKind.SERVER, f"The connection broke while trying to {what}: “{words}”", hint="Try again."
            ) from None
        except imaplib.IMAP4.error as exc:
            raise command_refused(what, server_words(exc, self.auth.secrets)) from None
        except OSError as exc:
            self._drop()
            error = network_error(exc, self.server.where)
            raise ConnectorError(error.kind, f"{error.message} (while trying to {what})", hint=error.hint) from None

    def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            _shutdown(client)


def _shutdown(client: Any) -> None:
    with contextlib.suppress(Exception):  # already closed
        client.shutdown()


def _folder_on_the_wire(name: str | bytes) -> bytes:
    if isinstance(name, bytes):
        name = name.decode("ascii")
    return b'""' if name == "" else imap_folder(name)


def _greeting_text(welcome: bytes) -> str:
    """ "* OK [CAPABILITY ...] Dovecot ready." -> "Dovecot ready." """
    text = server_words(welcome)
    text = re.sub(r"^\*\s+(OK|PREAUTH)\s+", "", text, flags=re.IGNORECASE)
    return re.sub(r"^\[[^\]]*\]\s*", "", text)
