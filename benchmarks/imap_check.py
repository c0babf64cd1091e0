"""How long one IMAP check takes against a loopback Dovecot, per TLS mode.

    python benchmarks/imap_check.py [--runs 50]

Starts a private Dovecot (needs `dovecot-imapd`) with a seeded INBOX and times the whole check
(connect, TLS, sign in, LIST, EXAMINE INBOX, SEARCH UNSEEN, FETCH newest, LOGOUT). The first
check includes loading the trusted certificates; later ones reuse them. For scale: the same
steps with bare imaplib take about 16 ms on a 2-core machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()

    from connectors.imap.check import check
    from connectors.types import CheckRequest
    from tests.servers.dovecot import DovecotOptions, append_messages, start_dovecot
    from tests.servers.tls import make_ca

    ca_dir = Path(tempfile.mkdtemp(prefix="tether-ca-"))
    ca_dir.chmod(0o755)
    ca = make_ca(ca_dir)
    now = dt.datetime.now(dt.UTC)
    mail = [(f"Subject: {n}\r\n\r\nbody {n}\r\n".encode(), (), now - dt.timedelta(minutes=n)) for n in range(200)]
    try:
        with start_dovecot(DovecotOptions(cert=ca.issue("dovecot"))) as server:
            append_messages(server, "alice", "INBOX", mail, ca.ca_file)
            for mode, port in (("implicit", server.imaps_port), ("starttls", server.imap_port)):
                settings = {
                    "host": "127.0.0.1",
                    "port": port,
                    "tls_mode": mode,
                    "username": "alice",
                    "ca_file": str(ca.ca_file),
                }
                request = CheckRequest(settings, {"password": server.passwords["alice"]})
                started = time.perf_counter()
                check(request)
                first = time.perf_counter() - started
                times = []
                for _ in range(args.runs):
                    started = time.perf_counter()
                    check(request)
                    times.append(time.perf_counter() - started)
                times.sort()
                p90 = times[int(len(times) * 0.9) - 1]
                print(
                    f"{mode:9} first {first * 1000:5.1f} ms   median {statistics.median(times) * 1000:5.1f} ms   p90 {p90 * 1000:5.1f} ms   ({args.runs} runs)"
                )
    finally:
        shutil.rmtree(ca_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
