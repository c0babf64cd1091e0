"""An HTTP(S) server for iCal feeds on loopback: one good feed and the failures people meet.

Used by the tests, and by hand: `python -m tests.servers.feeds` starts it with a
fresh test CA and prints the URLs until interrupted.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import socket
import ssl
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.servers.tls import ServerCert

FEED_USER = "feeduser"
FEED_PASSWORD = "feed-pass-42"
SECRET_TOKEN = "s3cr3t-t0ken-9f8e7d"  # appears in private URLs; must never appear in messages
HUGE_SIZE = 50 * 1024 * 1024  # the 50 MB feed users meet: well over the default 20 MB cap


def sample_feed(now: datetime | None = None, name: str = "Team") -> bytes:
    """A small feed around ``now``: a weekly series, a meeting, an all-day event, a past event."""
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    day = now.date()

    def stamp(moment: datetime) -> str:
        return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")

    tomorrow_two = datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC) + timedelta(hours=14)
    return "\r\n".join(
        [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//tether tests//feed//EN",
            f"X-WR-CALNAME:{name}",
            "BEGIN:VEVENT",
            "UID:standup@tests",
            f"DTSTAMP:{stamp(now)}",
            # Weekly from three days ago: its next meeting (in four days) comes after Planning and
            # Offsite at any hour of the day the tests run.
            f"DTSTART;TZID=Europe/Berlin:{(day - timedelta(days=3)):%Y%m%d}T090000",
            f"DTEND;TZID=Europe/Berlin:{(day - timedelta(days=3)):%Y%m%d}T091500",
            "RRULE:FREQ=WEEKLY",
            "SUMMARY:Standup",
            "END:VEVENT",
            "BEGIN:VEVENT",
            "UID:planning@tests",
            f"DTSTAMP:{stamp(now)}",
            f"DTSTART:{stamp(tomorrow_two)}",
            f"DTEND:{stamp(tomorrow_two + timedelta(hours=1))}",
            "SUMMARY:Planning",
            "LOCATION:Room 4",
            "END:VEVENT",
            "BEGIN:VEVENT",
            "UID:offsite@tests",
            f"DTSTAMP:{stamp(now)}",
            f"DTSTART;VALUE=DATE:{(day + timedelta(days=3)):%Y%m%d}",
            f"DTEND;VALUE=DATE:{(day + timedelta(days=4)):%Y%m%d}",
            "SUMMARY:Offsite",
            "END:VEVENT",
            "BEGIN:VEVENT",
            "UID:retro@tests",
            f"DTSTAMP:{stamp(now)}",
            f"DTSTART:{stamp(now - timedelta(days=30))}",
            f"DTEND:{stamp(now - timedelta(days=30, hours=-1))}",
            "SUMMARY:Old retro",
            "END:VEVENT",
            "END:VCALENDAR",
            "",
        ]
    ).encode()


def huge_feed(size: int) -> bytes:
    """A valid feed of about ``size`` bytes (many small events)."""
    head = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//tether tests//huge//EN\r\n"
    event = (
        b"BEGIN:VEVENT\r\nUID:%06d@huge\r\nDTSTAMP:20260101T000000Z\r\n"
        b"DTSTART:20260101T090000Z\r\nSUMMARY:Filler event with some text to take space\r\nEND:VEVENT\r\n"
    )
    events = [event % number for number in range(size // len(event % 0) + 1)]
    return head + b"".join(events) + b"END:VCALENDAR\r\n"


@functools.cache
def _huge_body() -> bytes:
    return huge_feed(HUGE_SIZE)


# "Billion laughs": ten levels of entities that expand to gigabytes in a reader that resolves them.
DOCTYPE_MULTISTATUS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (level, b"&lol%d;" % (level - 1) * 10 if level > 1 else b"&lol;" * 10)
        for level in range(1, 10)
    )
    + b']>\n<d:multistatus xmlns:d="DAV:"><d:response><d:href>&lol9;</d:href></d:response></d:multistatus>'
)

LOGIN_PAGE = b"""<!DOCTYPE html>
<html><head><title>Sign in - Calendar</title></head>
<body><form method="post"><input name="user"><input type="password" name="pass"></form></body></html>
"""


@dataclass
class FeedServer:
    httpd: ThreadingHTTPServer
    scheme: str
    ca_file: Path | None
    feeds: dict[str, bytes] = field(default_factory=dict)  # extra feeds a test publishes
    redirects: dict[str, str] = field(default_factory=dict)  # path -> where a test sends it
    hits: Counter[str] = field(default_factory=Counter)
    body_bytes: Counter[str] = field(default_factory=Counter)
    statuses: list[tuple[str, int]] = field(default_factory=list)
    request_headers: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)
    last_modified: datetime = field(
        default_factory=lambda: datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    )
    accepted: int = 0  # TCP connections accepted (over HTTPS, one TLS handshake each)
    answers_per_connection: int | None = None  # after that many, hang up on the next request unanswered
    open_connections: set[socket.socket] = field(default_factory=set)

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"{self.scheme}://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def publish(self, path: str, body: bytes) -> str:
        self.feeds[path] = body
        return self.url(path)

    def drop_idle_connections(self) -> None:
        """Hang up every open connection, as a web server does with keep-alive connections left idle."""
        for conn in list(self.open_connections):
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.drop_idle_connections()  # kept-alive connections would outlive the server otherwise
        self.httpd.server_close()


def start_feed_server(cert: ServerCert | None, host: str = "127.0.0.1", ca_file: Path | None = None) -> FeedServer:
    """Serve on a free port in a daemon thread; HTTPS when ``cert`` is given."""
    httpd = _QuietServer((host, 0), _Handler)
    server = FeedServer(httpd, "https" if cert else "http", ca_file)
    server.feeds["/team.ics"] = sample_feed()
    server.feeds["/basic.ics"] = sample_feed(name="Private")
    if cert is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert.cert_file, cert.key_file)
        # Handshake in the handler thread, so one silent client cannot block accept().
        httpd.socket = context.wrap_socket(httpd.socket, server_side=True, do_handshake_on_connect=False)
    httpd.feed_server = server
    threading.Thread(target=httpd.serve_forever, args=(0.05,), name="feed-server", daemon=True).start()
    return server


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    feed_server: FeedServer

    def process_request(self, request, client_address) -> None:  # type: ignore[no-untyped-def]
        self.feed_server.accepted += 1  # one accepting thread: no lock needed
        self.feed_server.open_connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request) -> None:  # type: ignore[no-untyped-def]
        self.feed_server.open_connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request, client_address) -> None:  # type: ignore[no-untyped-def]
        pass  # clients that reject our certificate or hang up are part of the tests


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # As real web servers do (nginx's tcp_nodelay): otherwise Nagle holds the answer back until the
    # client's delayed ACK, ~40 ms on every keep-alive request, which no real feed server costs.
    disable_nagle_algorithm = True
    server: _QuietServer
    route = ""  # the path without a private-link prefix or query
    answered = 0  # requests seen on this connection

    def log_message(self, format: str, *args: object) -> None:
        pass

    @property
    def feed_server(self) -> FeedServer:
        return self.server.feed_server

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        server = self.feed_server
        self.answered += 1
        if server.answers_per_connection is not None and self.answered > server.answers_per_connection:
            self.close_connection = True  # as a server whose keep-alive time ran out just as the request came
            return
        # Private links: /private/<token>/x serves what /x serves, like a provider's secret address.
        path = self.path.split("?", 1)[0].removeprefix(f"/private/{SECRET_TOKEN}")
        self.route = path
        server.hits[path] += 1
        server.request_headers.append((path, {k.lower(): v for k, v in self.headers.items()}))
        route = _ROUTES.get(path)
        if route is not None:
            route(self)
        elif path in server.redirects:
            self._send(302, b"", None, {"Location": server.redirects[path]})
        elif path in server.feeds:
            if path == "/basic.ics" and not self._authorised():
                self._send(401, b"Sign in required", "text/plain", {"WWW-Authenticate": 'Basic realm="feeds"'})
                return
            self._send_feed(server.feeds[path])
        else:
            self._send(404, b"Not found", "text/plain")

    def do_PROPFIND(self) -> None:  # noqa: N802 - a web server that is not a CalDAV server
        path = self.path.split("?", 1)[0]
        self.route = path
        self.feed_server.hits[path] += 1
        if self.headers.get("Content-Length", "").isdigit():
            self.rfile.read(int(self.headers["Content-Length"]))
        if path == "/hang.ics":
            self.hang()
            return
        if path == "/dav-huge/":
            self.dav_endless()
            return
        if path == "/dav-doctype/":
            self._send(207, DOCTYPE_MULTISTATUS, "application/xml; charset=utf-8")
            return
        self._send(405, b"Method not allowed", "text/plain", {"Allow": "GET, HEAD"})

    def dav_endless(self) -> None:
        """A WebDAV answer that never ends (no Content-Length), as a broken or hostile server sends."""
        self.send_response(207)
        self.send_header("Content-Type", "application/xml; charset=utf-8")
        self.end_headers()
        response = b"<d:response><d:href>/filler/</d:href><d:propstat><d:prop/></d:propstat></d:response>" * 800
        sent = 0
        try:
            self.wfile.write(b'<?xml version="1.0"?><d:multistatus xmlns:d="DAV:">')
            while not self.feed_server.stopping.is_set() and sent < 4 * 1024**3:
                self.wfile.write(response)
                sent += len(response)
        except OSError:
            pass  # the client stopped reading at its cap
        self.feed_server.body_bytes[self.route] += sent

    def _authorised(self) -> bool:
        expected = base64.b64encode(f"{FEED_USER}:{FEED_PASSWORD}".encode()).decode()
        return self.headers.get("Authorization", "") == f"Basic {expected}"

    def _send_feed(self, body: bytes) -> None:
        server = self.feed_server
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        modified = format_datetime(server.last_modified, usegmt=True)
        validators = {"ETag": etag, "Last-Modified": modified}
        if self.headers.get("If-None-Match") == etag or (
            "If-None-Match" not in self.headers and self.headers.get("If-Modified-Since") == modified
        ):
            self._send(304, b"", None, validators)
            return
        self._send(200, body, "text/calendar; charset=utf-8", validators)

    def _send(self, status: int, body: bytes, content_type: str | None, headers: dict[str, str] | None = None) -> None:
        server = self.feed_server
        server.statuses.append((self.route, status))
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)
            server.body_bytes[self.route] += len(body)

    # --- failure variants -----------------------------------------------------------------

    def not_found(self) -> None:
        self._send(404, b"<h1>Not found</h1>", "text/html")

    def forbidden(self) -> None:
        self._send(403, b"Forbidden", "text/plain")

    def busy(self) -> None:
        self._send(429, b"Slow down", "text/plain", {"Retry-After": "120"})

    def flaky(self) -> None:
        """503 with Retry-After: 1 on the first request, then the feed."""
        if self.feed_server.hits[self.route] == 1:
            self._send(503, b"Maintenance", "text/plain", {"Retry-After": "1"})
        else:
            self._send_feed(sample_feed(name="Flaky"))

    def down(self) -> None:
        self._send(503, b"Maintenance", "text/plain", {"Retry-After": "3600"})

    def hang(self) -> None:
        self.feed_server.stopping.wait(30)
        self.close_connection = True

    def trickle(self) -> None:
        """Headers at once, then one byte at a time, slowly."""
        body = sample_feed()
        self.send_response(200)
        self.send_header("Content-Type", "text/calendar")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        for index in range(len(body)):
            if self.feed_server.stopping.wait(0.1):
                return
            try:
                self.wfile.write(body[index : index + 1])
                self.wfile.flush()
            except OSError:
                return

    def slow(self) -> None:
        """The feed after half a second, as a busy server answers."""
        if not self.feed_server.stopping.wait(0.5):
            self._send_feed(sample_feed(name="Slow"))

    def trickle_headers(self) -> None:
        """A status line, then one more header line every 0.2 s, for up to 20 s."""
        self.close_connection = True
        try:
            self.wfile.write(b"HTTP/1.1 200 OK\r\n")
            for number in range(100):
                if self.feed_server.stopping.wait(0.2):
                    return
                self.wfile.write(f"X-Slow-{number}: still here\r\n".encode())
                self.wfile.flush()
        except OSError:
            return

    def malformed(self) -> None:
        self._send(200, b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nthis line is not iCalendar\r\n", "text/calendar")

    def login_page(self) -> None:
        self._send(200, LOGIN_PAGE, "text/html; charset=utf-8")

    def huge(self) -> None:
        with contextlib.suppress(OSError):  # the client refused it after reading Content-Length
            self._send(200, _huge_body(), "text/calendar")

    def huge_chunked(self) -> None:
        """The same big feed without Content-Length, so only counting while reading can stop it."""
        body = _huge_body()
        self.send_response(200)
        self.send_header("Content-Type", "text/calendar")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        sent = 0
        try:
            for start in range(0, len(body), 65536):
                chunk = body[start : start + 65536]
                self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                sent += len(chunk)
            self.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass  # the client stopped reading at its cap
        self.feed_server.body_bytes[self.route] += sent

    def loop(self) -> None:
        target = "/loop-b" if self.route == "/loop-a" else "/loop-a"
        self._send(302, b"", None, {"Location": target, "Content-Length": "0"})

    def moved(self) -> None:
        self._send(301, b"", None, {"Location": "/team.ics", "Content-Length": "0"})


_ROUTES = {
    "/missing.ics": _Handler.not_found,
    "/forbidden.ics": _Handler.forbidden,
    "/busy.ics": _Handler.busy,
    "/flaky.ics": _Handler.flaky,
    "/down.ics": _Handler.down,
    "/hang.ics": _Handler.hang,
    "/trickle.ics": _Handler.trickle,
    "/trickle-headers.ics": _Handler.trickle_headers,
    "/slow.ics": _Handler.slow,
    "/malformed.ics": _Handler.malformed,
    "/login": _Handler.login_page,
    "/huge.ics": _Handler.huge,
    "/huge-chunked.ics": _Handler.huge_chunked,
    "/loop-a": _Handler.loop,
    "/loop-b": _Handler.loop,
    "/moved.ics": _Handler.moved,
}


def main() -> None:
    """Start the server with a fresh CA and print what to paste into tether."""
    import tempfile

    from tests.servers.tls import make_ca

    ca = make_ca(Path(tempfile.mkdtemp(prefix="tether-feeds-")))
    server = start_feed_server(ca.issue("feeds"), ca_file=ca.ca_file)
    plain = start_feed_server(None)
    server.publish("/big.ics", huge_feed(5 * 1024 * 1024))
    print(f"Feed server (HTTPS) at {server.base_url}, CA file: {ca.ca_file}")
    print(f"  good feed:      {server.url('/team.ics')}")
    print(f"  private link:   {server.url(f'/private/{SECRET_TOKEN}/team.ics')}")
    print(f"  basic auth:     {server.url('/basic.ics')}  ({FEED_USER} / {FEED_PASSWORD})")
    print(f"  plain http:     {plain.url('/team.ics')}")
    print(f"  a 5 MB feed:    {server.url('/big.ics')}")
    for path in _ROUTES:
        print(f"  {path.strip('/'):15} {server.url(path)}")
    print("\nTry:")
    print(
        f"  printf '%s\\n' '{server.url('/team.ics')}' | tether add ical --secret-stdin url --set ca_file={ca.ca_file}"
    )
    print("  tether check    # twice: the second fetch is a 304")
    print("Ctrl-C to stop.", flush=True)
    seen = 0
    try:
        while True:
            time.sleep(1)
            if len(server.statuses) == seen:
                continue
            for route, status in server.statuses[seen:]:
                print(
                    f"[{datetime.now():%H:%M:%S}] {route} -> {status}, {server.body_bytes[route]} body bytes so far",
                    flush=True,
                )
            seen = len(server.statuses)
    except KeyboardInterrupt:
        server.close()
        plain.close()


if __name__ == "__main__":
    main()
