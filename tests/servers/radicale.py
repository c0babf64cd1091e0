"""A real Radicale CalDAV server on loopback, as a subprocess, with TLS from the test CA.

Users: ``alice`` (owns her calendars) and ``admin`` (may write anywhere, used to
prepare a calendar that alice can only read). Used by the tests, and by hand:
`python -m tests.servers.radicale` starts it with demo calendars and prints
what to paste into tether until interrupted.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.servers.tls import ServerCert

USER = "alice"
PASSWORD = "alice-pass-7"
ADMIN = "admin"
ADMIN_PASSWORD = "admin-pass-9"
READ_ONLY_CALENDAR = "holidays"  # alice may read it, not write it

RIGHTS = f"""
[admin]
user: {ADMIN}
collection: .*
permissions: RrWw

[read-only-calendar]
user: {USER}
collection: {USER}/{READ_ONLY_CALENDAR}(/.*)?
permissions: r

[root]
user: .+
collection:
permissions: R

[principal]
user: .+
collection: {{user}}
permissions: RW

[calendars]
user: .+
collection: {{user}}/[^/]+(/.*)?
permissions: rw
"""


@dataclass
class RadicaleServer:
    process: subprocess.Popen[bytes]
    port: int
    directory: Path
    ca_file: Path | None
    tls: bool = True

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    @property
    def home_url(self) -> str:
        return f"{self.url}/{USER}/"

    def log(self) -> str:
        path = self.directory / "radicale.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)


def client(server: RadicaleServer, user: str = USER, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    """A caldav client for preparing data, as a person's other calendar app would."""
    import caldav

    verify = str(server.ca_file) if server.ca_file else True
    return caldav.DAVClient(server.url, username=user, password=password, ssl_verify_cert=verify, enable_rfc6764=False)


def event_ics(uid: str, summary: str, start: datetime, minutes: int = 60, extra: str = "") -> str:
    def stamp(moment: datetime) -> str:
        return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")

    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//tether tests//radicale//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:{stamp(start)}\r\nDTSTART:{stamp(start)}\r\n"
        f"DTEND:{stamp(start + timedelta(minutes=minutes))}\r\nSUMMARY:{summary}\r\n{extra}"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def make_calendar(server: RadicaleServer, slug: str, name: str, color: str, *, as_admin: bool = False) -> str:
    """MKCALENDAR with a display name and colour; returns the calendar URL."""
    url = f"{server.home_url}{slug}/"
    body = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<c:mkcalendar xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav" xmlns:a="http://apple.com/ns/ical/">'
        f"<d:set><d:prop><d:displayname>{name}</d:displayname><a:calendar-color>{color}</a:calendar-color>"
        "</d:prop></d:set></c:mkcalendar>"
    )
    dav = client(server, ADMIN, ADMIN_PASSWORD) if as_admin else client(server)
    if as_admin:
        client(server).principal()  # alice's first sign-in creates her home
    response = dav.mkcalendar(url, body)
    if response.status not in (200, 201):
        raise RuntimeError(f"MKCALENDAR {slug} answered {response.status}")
    return url


def save_event(server: RadicaleServer, calendar_url: str, ics: str, *, as_admin: bool = False) -> None:
    import caldav

    dav = client(server, ADMIN, ADMIN_PASSWORD) if as_admin else client(server)
    caldav.Calendar(client=dav, url=calendar_url).save_event(ics)


def seed(server: RadicaleServer, now: datetime | None = None) -> dict[str, str]:
    """Work (writable, two events ahead) and Holidays (read-only for alice, one event ahead)."""
    now = (now or datetime.now(UTC)).replace(second=0, microsecond=0)
    work = make_calendar(server, "work", "Work", "#3366FF")  # signs alice in first: her home exists
    holidays = make_calendar(server, READ_ONLY_CALENDAR, "Holidays", "#FF8800", as_admin=True)
    save_event(
        server, work, event_ics("review@tests", "Design review", now + timedelta(days=1), extra="LOCATION:Room 2\r\n")
    )
    save_event(server, work, event_ics("launch@tests", "Launch", now + timedelta(days=10)))
    save_event(server, work, event_ics("far@tests", "Far away", now + timedelta(days=90)))
    save_event(
        server, holidays, event_ics("feast@tests", "Feast day", now + timedelta(days=5), minutes=24 * 60), as_admin=True
    )
    return {"work": work, "holidays": holidays}


def radicale_available() -> bool:
    try:
        import radicale  # noqa: F401
    except ImportError:
        return False
    return True


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_radicale(cert: ServerCert | None, ca_file: Path | None = None, attempts: int = 3) -> RadicaleServer:
    """Start Radicale on a free port (plain HTTP without ``cert``); retried when the port was taken."""
    last_log = ""
    for _ in range(attempts):
        directory = Path(tempfile.mkdtemp(prefix="tether-radicale-"))
        port = free_port()
        config = _write_config(directory, port, cert)
        with open(directory / "radicale.log", "wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "radicale", "--config", str(config)],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        server = RadicaleServer(process, port, directory, ca_file, tls=cert is not None)
        if _wait_for_port(port, process):
            return server
        last_log = server.log()
        server.stop()
    raise RuntimeError(f"Radicale did not start:\n{last_log}")


def _write_config(directory: Path, port: int, cert: ServerCert | None) -> Path:
    (directory / "users").write_text(f"{USER}:{PASSWORD}\n{ADMIN}:{ADMIN_PASSWORD}\n")
    (directory / "rights").write_text(RIGHTS)
    config = directory / "config"
    tls = f"ssl = True\ncertificate = {cert.cert_file}\nkey = {cert.key_file}" if cert else "ssl = False"
    config.write_text(
        f"""
[server]
hosts = 127.0.0.1:{port}
{tls}

[auth]
type = htpasswd
htpasswd_filename = {directory / "users"}
htpasswd_encryption = plain
delay = 0

[rights]
type = from_file
file = {directory / "rights"}

[storage]
filesystem_folder = {directory / "collections"}

[web]
type = none

[logging]
level = warning
"""
    )
    return config


def _wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.02)
    return False


def main() -> None:
    """Start Radicale with demo calendars and print what to paste into tether."""
    from tests.servers.tls import make_ca

    ca = make_ca(Path(tempfile.mkdtemp(prefix="tether-radicale-ca-")))
    server = start_radicale(ca.issue("radicale"), ca.ca_file)
    seed(server)
    print(f"Radicale at {server.url}  (user {USER}, password {PASSWORD})")
    print(f"  CA file: {ca.ca_file}")
    print("  calendars: Work (writable), Holidays (read-only for alice)")
    print("\nTry:")
    print(
        f"  echo {PASSWORD} | tether add caldav --label Radicale --set url={server.url.removeprefix('https://')} "
        f"--set username={USER} --set ca_file={ca.ca_file} --secret-stdin password"
    )
    print("  tether edit Radicale --set calendars=Work,Holidays && tether check Radicale")
    print("Ctrl-C to stop.", flush=True)
    try:
        while server.process.poll() is None:
            time.sleep(1)
        print(server.log())
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
