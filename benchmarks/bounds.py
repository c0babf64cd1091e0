"""Hostile servers against tether's bounds: wall time and peak memory of each case, against its goal.

    python benchmarks/bounds.py [--timeout 5] [--case NAME ...]

Each case runs in a fresh process, so its peak RSS is its own (imports included). Goals: a
trickling or silent server ends at the timeout plus at most a second; an endless answer is cut
at its size cap without holding more than the cap in memory.

Cases from other parts of tether plug in as functions returning ``{"seconds", "peak_rss_mb",
"outcome"}`` measured in their own process (``benchmarks/calendar_read.py``'s
``endless_rrule_check`` is one); a slot whose function does not exist yet is listed as such.
"""

from __future__ import annotations

import argparse
import importlib
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SLACK = 1.0  # seconds past the timeout a bounded operation may take
BASE_MB = 150.0  # what a process with tether's connectors loaded may hold, before any answer


@dataclass(frozen=True)
class Case:
    name: str
    what: str
    goal_seconds: Callable[[float], float]
    goal_mb: float
    run: Callable[..., str] | None = None  # in this process; returns the outcome in words
    external: tuple[str, str, tuple[Any, ...]] | None = None  # (module, function, args) measured elsewhere
    # Set-up that is not part of the operation (a server seeded with a large message): its result is
    # handed to ``run``, and neither its time nor, where it runs in a process of its own, its memory counts.
    prepare: Callable[[], Any] | None = None


def _imap(port: int, mode: str, timeout: float, ca_file: str | None = None) -> str:
    from connectors.errors import ConnectorError
    from connectors.imap.auth import PasswordAuth
    from connectors.imap.connection import ImapServer
    from connectors.imap.session import ImapSession

    try:
        ImapSession(ImapServer("127.0.0.1", port, mode, ca_file, timeout=timeout), PasswordAuth("me", "pw")).open()
    except ConnectorError as exc:
        return f"{exc.kind}: {exc.message}"
    return "connected (unexpected)"


def _feed(url: str, timeout: float) -> str:
    from connectors.errors import ConnectorError
    from connectors.ical.check import check_feed
    from connectors.types import CheckRequest

    try:
        return check_feed(CheckRequest({}, {"url": url}, {}, timeout=timeout)).summary
    except ConnectorError as exc:
        return f"{exc.kind}: {exc.message}"


def trickled_imap_greeting(timeout: float) -> str:
    from tests.health.fault_servers import trickle_server, trickled_greeting

    with trickle_server(trickled_greeting, every=1.0) as port:
        return _imap(port, "none", timeout)


def silent_imap_server(timeout: float) -> str:
    from tests.health.fault_servers import silent_server

    with silent_server() as port:
        return _imap(port, "implicit", timeout)


def trickled_http_headers(timeout: float) -> str:
    from tests.health.fault_servers import trickle_server, trickled_headers

    with trickle_server(trickled_headers, every=1.0) as port:
        return _feed(f"http://127.0.0.1:{port}/feed.ics", timeout)


def trickled_http_body(timeout: float) -> str:
    from tests.health.fault_servers import trickle_server, trickled_body

    with trickle_server(trickled_body, every=0.5) as port:
        return _feed(f"http://127.0.0.1:{port}/feed.ics", timeout)


def silent_http_server(timeout: float) -> str:
    from tests.health.fault_servers import silent_server

    with silent_server() as port:
        return _feed(f"http://127.0.0.1:{port}/feed.ics", timeout)


def huge_http_answer(timeout: float) -> str:
    from tests.health.fault_servers import huge_http_server

    with huge_http_server(1024 * 1024 * 1024) as port:  # 1 GB, no Content-Length
        return _feed(f"http://127.0.0.1:{port}/feed.ics", timeout)


def huge_caldav_answer(timeout: float) -> str:
    """A CalDAV server whose answer never ends, against the default 20 MB size limit."""
    import tempfile

    from connectors.caldav.check import check_caldav
    from connectors.errors import ConnectorError
    from connectors.types import CheckRequest
    from tests.servers.feeds import start_feed_server
    from tests.servers.tls import make_ca

    ca = make_ca(Path(tempfile.mkdtemp(prefix="bounds-ca-")))
    server = start_feed_server(ca.issue("bounds-dav"), ca_file=ca.ca_file)
    settings = {"url": server.url("/dav-huge/"), "username": "me", "ca_file": str(ca.ca_file)}
    try:
        check_caldav(CheckRequest(settings, {"password": "pw"}, timeout=timeout))
    except ConnectorError as exc:
        return f"{exc.kind}: {exc.message}"
    finally:
        server.close()
    return "read whole (unexpected)"


_SEED_LARGE_MESSAGE = """
import sys
from connectors.imap.mailbox import Mailbox
from connectors.imap.session import ImapSession
port, ca_file, password = int(sys.argv[1]), sys.argv[2], sys.argv[3]
size = 60 * 1024 * 1024
text = b"".join(b"Line %07d of a very long plain text message.\\r\\n" % n for n in range(size // 48))
message = b"From: Dave <dave@example.com>\\r\\nSubject: Endless log\\r\\nContent-Type: text/plain\\r\\n\\r\\n" + text
settings = {"username": "large", "host": "127.0.0.1", "port": port, "tls_mode": "implicit", "ca_file": ca_file}
with ImapSession.from_settings(settings, {"password": password}, timeout=120) as session:
    print(Mailbox(session).append("INBOX", message))
"""


def seeded_large_message() -> tuple[Any, Any, int]:
    """A private Dovecot holding one 60 MB message, appended by another process so its memory is not ours."""
    import tempfile

    from tests.servers.dovecot import DovecotOptions, start_dovecot
    from tests.servers.tls import make_ca

    ca = make_ca(Path(tempfile.mkdtemp(prefix="bounds-ca-")))
    server = start_dovecot(
        DovecotOptions(cert=ca.issue("bounds-imap", ips=("127.0.0.1",)), users={"large": "large-pw-1"})
    )
    seeded = subprocess.run(
        [sys.executable, "-c", _SEED_LARGE_MESSAGE, str(server.imaps_port), str(ca.ca_file), "large-pw-1"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    return server, ca, int(seeded.stdout.strip().splitlines()[-1])


def mail_fetch_60mb(timeout: float, seeded: tuple[Any, Any, int]) -> str:
    """What mail_fetch does with a 60 MB message: its size first, then headers and the first text in part."""
    from connectors.imap.mailbox import Mailbox
    from connectors.imap.session import ImapSession

    server, ca, uid = seeded
    settings = {
        "username": "large",
        "host": "127.0.0.1",
        "port": server.imaps_port,
        "tls_mode": "implicit",
        "ca_file": str(ca.ca_file),
    }
    try:
        with ImapSession.from_settings(settings, {"password": "large-pw-1"}, timeout=timeout) as session:
            read = Mailbox(session).read("INBOX", uid, max_chars=20_000)
    finally:
        server.stop()
    return f"{read.size / 1e6:.0f} MB message, read {'whole' if read.complete else 'in part'}: {len(read.parsed.text)} characters of text"


CASES = [
    Case(
        "imap-trickled-greeting",
        "IMAP greeting, one byte a second",
        lambda t: t + SLACK,
        BASE_MB,
        trickled_imap_greeting,
    ),
    Case(
        "imap-silent", "IMAP port that accepts and never speaks (TLS)", lambda t: t + SLACK, BASE_MB, silent_imap_server
    ),
    Case(
        "http-trickled-headers", "HTTP headers, one line a second", lambda t: t + SLACK, BASE_MB, trickled_http_headers
    ),
    Case(
        "http-trickled-body", "HTTP body, one byte every half second", lambda t: t + SLACK, BASE_MB, trickled_http_body
    ),
    Case("http-silent", "HTTP port that accepts and never answers", lambda t: t + SLACK, BASE_MB, silent_http_server),
    Case(
        "http-1gb", "1 GB streamed feed against the 20 MB cap", lambda t: t + SLACK, BASE_MB + 2 * 20, huge_http_answer
    ),
    Case(
        "ical-endless-rrule",
        "feed whose event repeats every minute for ever",
        lambda t: 5.0,
        200.0,
        external=("benchmarks.calendar_read", "endless_rrule_check", ("MINUTELY",)),
    ),
    Case(
        "caldav-huge-answer",
        "CalDAV answer that never ends, against the 20 MB cap",
        lambda t: t + SLACK,
        BASE_MB + 2 * 20,
        huge_caldav_answer,
    ),
    Case(
        "mail-fetch-60mb",
        "mail_fetch's read of a 60 MB message (Dovecot)",
        lambda t: t + SLACK,
        BASE_MB,
        mail_fetch_60mb,
        prepare=seeded_large_message,
    ),
]


def run_child(name: str, timeout: float) -> None:
    """In the fresh process: run one case and print its figures as JSON."""
    case = next(case for case in CASES if case.name == name)
    assert case.run is not None
    prepared = (case.prepare(),) if case.prepare is not None else ()
    started = time.perf_counter()
    outcome = case.run(timeout, *prepared)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_rss_mb": peak, "outcome": outcome}))


def measure(case: Case, timeout: float) -> dict[str, Any] | None:
    if case.external is not None:
        module_name, function_name, args = case.external
        try:
            function = getattr(importlib.import_module(module_name), function_name)
        except (ImportError, AttributeError):
            return None  # the slot is not filled yet
        figures = dict(function(*args, timeout=timeout))
        figures.setdefault("outcome", figures.get("summary", ""))
        return figures
    answer = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", case.name, "--timeout", str(timeout)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=timeout * 4 + 30,
    )
    if answer.returncode != 0:
        return {
            "seconds": float("nan"),
            "peak_rss_mb": float("nan"),
            "outcome": f"crashed: {answer.stderr.strip()[-300:]}",
        }
    return dict(json.loads(answer.stdout.strip().splitlines()[-1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--timeout", type=float, default=5.0, help="the check timeout each case runs with (default 5)")
    parser.add_argument("--case", action="append", default=[], metavar="NAME", help="only this case; repeatable")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child(args.child, args.timeout)
        return 0
    chosen = [case for case in CASES if not args.case or case.name in args.case]
    print(f"timeout {args.timeout:g} s; each case in its own process\n")
    print(f"{'case':24} {'wall':>7} {'goal':>7} {'peak RSS':>9} {'goal':>7}  verdict")
    missed = 0
    for case in chosen:
        figures = measure(case, args.timeout)
        goal_s, goal_mb = case.goal_seconds(args.timeout), case.goal_mb
        if figures is None:
            print(
                f"{case.name:24} {'—':>7} {goal_s:>6.1f}s {'—':>9} {goal_mb:>5.0f}MB  not provided yet ({case.external[0]}.{case.external[1]})"
            )  # type: ignore[index]
            continue
        seconds, peak = float(figures["seconds"]), float(figures["peak_rss_mb"])
        ok = seconds <= goal_s and peak <= goal_mb
        missed += not ok
        print(
            f"{case.name:24} {seconds:>6.2f}s {goal_s:>6.1f}s {peak:>7.0f}MB {goal_mb:>5.0f}MB  {'ok' if ok else 'MISSED'}"
        )
        print(f"{'':24} {case.what}: {str(figures.get('outcome', ''))[:110]}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
