"""Small loopback servers for faults the real servers do not produce on demand.

A TCP listener that never greets, one that greets and then goes silent (optionally over TLS with
any certificate), and an HTTP server answering any status code: GET /status/500.
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
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
