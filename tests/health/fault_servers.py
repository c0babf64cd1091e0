"""Small loopback servers for faults the real servers do not produce on demand.

A TCP listener that never greets, one that greets and then goes silent (optionally over TLS with
any certificate), one that trickles its answer a piece at a time (an IMAP greeting one byte every
few seconds, HTTP headers one line at a time), one that streams a huge HTTP body as fast as it can,
and an HTTP server answering any status code: GET /status/500.
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.servers.tls import ServerCert


@contextmanager
def silent_server(*, greeting: bytes = b"", cert: ServerCert | None = None) -> Iterator[int]:
    """Accepts connections, optionally finishes TLS and sends ``greeting``, then never answers."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()
    held: list[socket.socket] = []
    context = None
    if cert is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert.cert_file, cert.key_file)

    def serve() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            held.append(conn)
            try:
                if context is not None:
                    conn.settimeout(5)
                    conn = context.wrap_socket(conn, server_side=True)
                    held.append(conn)
                if greeting:
                    conn.sendall(greeting)
            except (OSError, ssl.SSLError):
                pass  # the client gave up on the handshake: that is the fault under test

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(2)
        for conn in held:
            conn.close()
        listener.close()


class _StatusHandler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        code = int(self.path.rsplit("/", 1)[-1].split(".")[0])
        body = b"Internal error" if code >= 500 else b""
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def status_server() -> Iterator[str]:
    """Plain HTTP on loopback; yields the base URL. /status/500.ics answers 500."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _StatusHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def trickled_greeting() -> Iterator[bytes]:
    """An IMAP greeting that never ends, one byte at a time."""
    yield from (bytes([byte]) for byte in b"* OK ")
    while True:
        yield b"x"


def trickled_headers() -> Iterator[bytes]:
    """An HTTP answer whose header lines keep coming, one at a time, and never end."""
    yield b"HTTP/1.1 200 OK\r\n"
    number = 0
    while True:
        number += 1
        yield f"X-Slow-{number}: still here\r\n".encode()


def trickled_body() -> Iterator[bytes]:
    """An HTTP answer with complete headers and a body that arrives one byte at a time."""
    yield b"HTTP/1.1 200 OK\r\nContent-Type: text/calendar\r\nContent-Length: 100000\r\n\r\nBEGIN:VCALENDAR\r\n"
    while True:
        yield b" "


def trickle_server(
    pieces: Callable[[], Iterable[bytes]],
    *,
    every: float,
    cert: ServerCert | None = None,
    connected: threading.Event | None = None,
) -> AbstractContextManager[int]:
    """Accepts connections and sends ``pieces()`` one piece every ``every`` seconds, for as long as
    the client listens. Each connection gets its own thread, so a probe does not block the next one.
    ``connected`` is set once a client has connected (so a test knows a check is under way).
    """
    return _serve_each(lambda conn, stop: _trickle(conn, pieces(), every, stop), cert, connected)


def _trickle(conn: socket.socket, pieces: Iterable[bytes], every: float, stop: threading.Event) -> None:
    for piece in pieces:
        conn.sendall(piece)
        if stop.wait(every):
            return


def huge_http_server(total_bytes: int, *, chunk: bytes = b"X" * 65536) -> AbstractContextManager[int]:
    """Plain HTTP answering any GET with a 200 body of ``total_bytes``, without Content-Length, as fast as it can."""

    def stream(conn: socket.socket, stop: threading.Event) -> None:
        conn.recv(65536)  # the request; its details do not matter
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/calendar\r\nConnection: close\r\n\r\nBEGIN:VCALENDAR\r\n")
        sent = 0
        while sent < total_bytes and not stop.is_set():
            conn.sendall(chunk)
            sent += len(chunk)

    return _serve_each(stream, None)


@contextmanager
def _serve_each(
    handle: Callable[[socket.socket, threading.Event], None],
    cert: ServerCert | None,
    connected: threading.Event | None = None,
) -> Iterator[int]:
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    stop = threading.Event()
    open_connections: list[socket.socket] = []
    context = None
    if cert is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert.cert_file, cert.key_file)

    def serve_one(conn: socket.socket) -> None:
        try:
            if context is not None:
                conn.settimeout(10)
                conn = context.wrap_socket(conn, server_side=True)
                open_connections.append(conn)
            handle(conn, stop)
        except (OSError, ssl.SSLError):
            pass  # the client hung up: that is what a client under test should do

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            open_connections.append(conn)
            if connected is not None:
                connected.set()
            threading.Thread(target=serve_one, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(2)
        for conn in open_connections:
            conn.close()
        listener.close()
