"""Reach an IMAP server: TCP, TLS (implicit or STARTTLS), greeting — all within one deadline.

imapclient opens its own sockets and, for implicit TLS, without a timeout on the handshake or the
greeting. So the socket is opened and secured here, step by step, and handed to an IMAPClient.
The caller's ``Deadline`` watches the socket from before the connect: a server trickling its
greeting one byte at a time is cut off when the deadline passes, not after each slow byte.
"""

from __future__ import annotations

import contextlib
import functools
import select
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from connectors.addresses import is_loopback_host
from connectors.deadline import Deadline
from connectors.errors import ConnectorError, ErrorKind
from connectors.imap.replies import is_rate_limited, server_words
from connectors.imap.spec import DEFAULT_PORTS, TLS_IMPLICIT, TLS_NONE, TLS_STARTTLS
from connectors.tcp_tls import certificate_facts, connect_tcp, network_error, start_tls, tls_context, tls_error

DEFAULT_TIMEOUT = 15.0
# Plain-text IMAP servers greet at once; this long without a word, ask whether the port speaks TLS.
_GREETING_PATIENCE = 1.0


@dataclass(frozen=True)
class ImapServer:
    """Where and how to connect; no credentials."""

    host: str
    port: int = 993
    tls_mode: str = TLS_IMPLICIT
    ca_file: str | None = None
    timeout: float = DEFAULT_TIMEOUT  # for connecting and signing in together, then for each command

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], timeout: float = DEFAULT_TIMEOUT) -> ImapServer:
        host = str(settings.get("host") or "").strip()
        if not host:
            raise ConnectorError(ErrorKind.CONFIG, "No server name is set.", field="host")
        mode = str(settings.get("tls_mode") or TLS_IMPLICIT)
        if mode not in DEFAULT_PORTS:
            raise ConnectorError(ErrorKind.CONFIG, f"Unknown TLS mode {mode!r}.", field="tls_mode")
        try:
            port = int(settings.get("port") or DEFAULT_PORTS[mode])
        except (TypeError, ValueError):
            raise ConnectorError(
                ErrorKind.CONFIG, f"The port {settings.get('port')!r} is not a number.", field="port"
            ) from None
        if not 0 < port < 65536:
            raise ConnectorError(
                ErrorKind.CONFIG, f"Port {port} does not exist: ports go from 1 to 65535.", field="port"
            )
        return cls(host, port, mode, settings.get("ca_file") or None, timeout)

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def is_local(self) -> bool:
        return is_loopback_host(self.host)

    def timed_out(self, stage: str) -> ConnectorError:
        """The error for a deadline that passed during ``stage`` ("the greeting", "the request to list folders")."""
        return ConnectorError(
            ErrorKind.TIMEOUT,
            f"{self.where} did not complete {stage} in time ({self.timeout:g} s): it stopped answering or answered too slowly.",
            hint="The server is too slow or stuck; try again later, or give it more time with --timeout.",
            field="host",
        )


def open_client(server: ImapServer, limit: Deadline):
    """A greeted IMAPClient over TLS (or plain text on localhost only). Raises ConnectorError.

    ``limit`` must be entered (``with limit``); its ``stage`` names the step in progress.
    """
    if server.tls_mode == TLS_NONE and not server.is_local:
        raise ConnectorError(
            ErrorKind.CONFIG,
            "No TLS is allowed only for a server on this machine.",
            hint="Choose implicit TLS or STARTTLS.",
            field="tls_mode",
        )
    context = tls_context(server.ca_file) if server.tls_mode != TLS_NONE else None
    limit.stage = "the connection"
    sock = connect_tcp(server.host, server.port, _remaining(limit, server.timeout), limit)
    try:
        if server.tls_mode == TLS_IMPLICIT:
            assert context is not None
            limit.stage = "a TLS handshake"
            sock = _handshake(server, sock, context, limit)
        else:
            limit.stage = "its greeting"
            _await_greeting(server, sock, limit)
        limit.stage = "its greeting and capability list"
        client = _greet(server, sock)
    except BaseException:
        sock.close()
        raise
    if server.tls_mode == TLS_STARTTLS:
        assert context is not None
        limit.stage = "the STARTTLS upgrade"
        try:
            _upgrade(server, client, context, limit)
        except ConnectorError:
            raise
        except OSError as exc:
            _quietly_close(client)
            raise network_error(exc, server.where) from None
        except BaseException:
            _quietly_close(client)
            raise
    return client


def _remaining(limit: Deadline, timeout: float) -> float:
    return max(0.05, min(timeout, limit.remaining()))


def _handshake(server: ImapServer, sock: socket.socket, context: ssl.SSLContext, limit: Deadline) -> ssl.SSLSocket:
    sock.settimeout(_remaining(limit, server.timeout))
    try:
        secured = start_tls(sock, context, server.host, server.port)
    except (ssl.SSLError, OSError) as exc:
        raise _classified_tls_error(exc, server, server.timeout, limit) from None
    secured.settimeout(server.timeout)
    return secured


def _classified_tls_error(exc: BaseException, server: ImapServer, timeout: float, limit: Deadline) -> ConnectorError:
    limit.check()  # a handshake cut off by the deadline is a timeout, not a TLS fault
    names: tuple[str, ...] | None = None
    expires = ""
    if isinstance(exc, ssl.SSLCertVerificationError):
        names, expires = certificate_facts(peer_certificate(server, limit))
    return tls_error(exc, server.host, server.port, names=names, expires=expires, timeout=timeout)


def _await_greeting(server: ImapServer, sock: socket.socket, limit: Deadline) -> None:
    """A plain-text IMAP server greets at once; silence may mean the port expects implicit TLS."""
    budget = _remaining(limit, server.timeout)
    patience = min(budget / 3, _GREETING_PATIENCE)
    if _readable(sock, patience):
        return
    if _speaks_implicit_tls(server, min(budget / 3, _GREETING_PATIENCE), limit):
        raise ConnectorError(
            ErrorKind.TLS,
            f"{server.where} expects implicit TLS, but the TLS mode is {server.tls_mode}.",
            hint="Choose implicit TLS for this port (usually 993), or use port 143 for STARTTLS.",
            field="tls_mode",
        )
    if _readable(sock, limit.remaining()):  # a slow server, after all
        return
    limit.check()


def _readable(sock: socket.socket, timeout: float) -> bool:
    readable, _, _ = select.select([sock], [], [], max(0.0, timeout))
    return bool(readable)


def _speaks_implicit_tls(server: ImapServer, timeout: float, limit: Deadline) -> bool:
    try:
        with socket.create_connection((server.host.strip("[]"), server.port), timeout=timeout) as probe:
            limit.watch(probe)
            with tls_context(verify=False).wrap_socket(probe, server_hostname=server.host.strip("[]")):
                return True
    except (OSError, ssl.SSLError):
        return False


def _greet(server: ImapServer, sock: socket.socket):
    import imaplib

    try:
        return _client_class()(sock, server.host, server.port, server.timeout)
    except imaplib.IMAP4.error as exc:  # includes abort
        words = server_words(exc)
        if isinstance(exc, imaplib.IMAP4.abort) or words.upper().startswith("* BYE"):
            kind = ErrorKind.RATE_LIMITED if is_rate_limited(words) else ErrorKind.SERVER
            raise ConnectorError(
                kind, f"{server.where} turned the connection away: “{words}”", hint="Try again later."
            ) from None
        raise ConnectorError(
            ErrorKind.BAD_DATA,
            f"{server.where} did not greet like an IMAP server: “{words}”",
            hint="Check the port: IMAP uses 993 (implicit TLS) or 143 (STARTTLS).",
            field="port",
        ) from None
    except ssl.SSLError as exc:
        raise tls_error(exc, server.host, server.port) from None
    except OSError as exc:
        raise network_error(exc, server.where) from None


def _upgrade(server: ImapServer, client, context: ssl.SSLContext, limit: Deadline) -> None:
    import imaplib

    if b"STARTTLS" not in client.capabilities():
        _quietly_close(client)
        raise ConnectorError(
            ErrorKind.TLS,
            f"{server.where} does not offer STARTTLS, so your password would travel unencrypted; tether will not send it.",
            hint="Use implicit TLS (usually port 993) if the server offers it, or ask its administrator to enable TLS.",
            field="tls_mode",
        )
    client.socket().settimeout(_remaining(limit, server.timeout))
    try:
        client.starttls(context)
    except (ssl.SSLError, OSError) as exc:
        _quietly_close(client)
        raise _classified_tls_error(exc, server, server.timeout, limit) from None
    except imaplib.IMAP4.error as exc:
        _quietly_close(client)
        raise ConnectorError(
            ErrorKind.TLS, f"{server.where} refused STARTTLS: “{server_words(exc)}”", field="tls_mode"
        ) from None
    client.socket().settimeout(server.timeout)


def _quietly_close(client) -> None:
    with contextlib.suppress(Exception):  # already broken; nothing more to say
        client.shutdown()


def peer_certificate(server: ImapServer, limit: Deadline) -> bytes | None:
    """The server's certificate read without verifying it, to name what is wrong with it."""
    host = server.host.strip("[]")
    try:
        with socket.create_connection((host, server.port), timeout=_remaining(limit, server.timeout)) as sock:
            limit.watch(sock)
            if server.tls_mode == TLS_STARTTLS:
                reader = sock.makefile("rb")
                reader.readline()  # greeting
                sock.sendall(b"t1 STARTTLS\r\n")
                while not (line := reader.readline()).startswith(b"t1 ") and line:
                    pass
                if not line.startswith(b"t1 OK"):
                    return None
            with tls_context(verify=False).wrap_socket(sock, server_hostname=host) as secured:
                return secured.getpeercert(binary_form=True)
    except (OSError, ssl.SSLError):
        return None


@functools.cache
def _client_class():
    """An IMAPClient over a socket that is already connected (and secured, for implicit TLS)."""
    import imaplib

    from imapclient import IMAPClient

    class _PreconnectedIMAP4(imaplib.IMAP4):
        def __init__(self, sock: socket.socket, host: str, port: int) -> None:
            self._preconnected = sock
            super().__init__(host, port)

        def open(self, host: str = "", port: int = 143, timeout: float | None = None) -> None:
            self.host, self.port = host, port
            self.sock = self._preconnected
            self.file = self.sock.makefile("rb")

    class PreconnectedClient(IMAPClient):
        def __init__(self, sock: socket.socket, host: str, port: int, timeout: float) -> None:
            self._preconnected = sock
            super().__init__(host, port, ssl=False, timeout=timeout)
            self._imap.debug = 0  # imaplib's debug log would include AUTHENTICATE payloads

        def _create_IMAP4(self) -> imaplib.IMAP4:
            return _PreconnectedIMAP4(self._preconnected, self.host, self.port)

    return PreconnectedClient
