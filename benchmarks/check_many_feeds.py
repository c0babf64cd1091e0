"""Checking 100 healthy HTTPS feeds at once, against one check and against the physical floor.

    python benchmarks/check_many_feeds.py [--count 100] [--rounds 5] [--rtt MS]

A loopback HTTPS feed server (tests/servers/feeds.py, its own process, the test CA trusted
through each integration's ca_file setting) serves ``count`` small feeds, all on one server as
real users' feeds usually are. Each round times:

(a) one healthy feed checked through tether's check path (app.core.checks.check_integration),
    twice: on a new connection (tether's idle connections closed first, as they are 30 s after
    the last check) and on the kept-alive connection the first one left;
(b) all ``count`` checked at once, the way check all (R) in the TUI runs them
    (app.core.check_batch with MANUAL_CONCURRENCY threads, slowest first, the health figures
    read for each group of recorded outcomes) and the way `tether check` runs them
    (app.cli.commands, as many at a time),
    each starting with no idle connection; the server counts the TLS connections they open;
(c) the floor: ``count`` full TLS handshakes + one GET each with the standard library against
    the same server and certificate, concurrently and one after another (the faster counts).

Both feed states a check meets are measured: "changed" (the server publishes new bodies before
the round, so every check downloads and reads its feed) and "unchanged" (the server answers 304).
Medians over the rounds are printed with the ratios (b)/(a) (goal <= 10x; against the check on a
kept-alive connection, the stricter one, and on a new connection) and (b)/(c), and the load
average, since other work on the machine moves every figure.

On loopback nothing waits for the network, so checks at once only take turns on the CPU and
100 cost about 100 times one. ``--rtt MS`` measures the same against a network with that round
trip: every connection, the floor's too, goes through a relay (benchmarks/latency_relay.py)
that delivers each chunk half of it later in each direction.
"""

from __future__ import annotations

import argparse
import http.client
import os
import ssl
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GOAL = 10.0


def serve_feeds(work: Path, count: int, connection: Any) -> None:
    """The feed server in its own process, as a real server is: it must not share our GIL.

    Answers "publish <n>" with fresh feed bodies (so the next checks download them), "accepted"
    with the number of connections it accepted so far, "stop" ends it.
    """
    from tests.servers.feeds import sample_feed, start_feed_server
    from tests.servers.tls import make_ca

    ca = make_ca(work / "ca")
    server = start_feed_server(ca.issue("feeds"), ca_file=ca.ca_file)

    def publish(generation: int) -> list[str]:
        return [server.publish(f"/feed-{n}.ics", sample_feed(name=f"Feed {n} v{generation}")) for n in range(count)]

    connection.send((str(ca.ca_file), publish(0)))
    while (command := connection.recv()) != "stop":
        if command == "accepted":
            connection.send(server.accepted)
        else:
            connection.send(publish(int(command.split()[1])))
    server.close()


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def floor_get(context: ssl.SSLContext, url: str) -> None:
    """One new TLS connection and one GET, read to the end: what any client must do per feed."""
    parts = urlsplit(url)
    conn = http.client.HTTPSConnection(parts.hostname or "", parts.port, context=context, timeout=10)
    try:
        conn.request("GET", parts.path, headers={"Connection": "close"})
        answer = conn.getresponse()
        answer.read()
        assert answer.status == 200, answer.status
    finally:
        conn.close()


def through(url: str, port: int) -> str:
    """``url`` on the same host at ``port``: the relay's."""
    parts = urlsplit(url)
    return parts._replace(netloc=f"{parts.hostname}:{port}").geturl()


class Bench:
    def __init__(self, count: int, timeout: float, rtt: float = 0.0) -> None:
        import multiprocessing

        from benchmarks.check_all import MemoryStore
        from storage.service import open_storage

        self.count, self.timeout = count, timeout
        self.work = Path(tempfile.mkdtemp(prefix="tether-bench-feeds-"))
        self.pipe, theirs = multiprocessing.Pipe()
        self.server = multiprocessing.get_context("fork").Process(
            target=serve_feeds, args=(self.work, count, theirs), daemon=True
        )
        self.server.start()
        self.ca_file, self.urls = self.pipe.recv()
        self.relay = None
        if rtt:
            from benchmarks.latency_relay import start_relay

            server = urlsplit(self.urls[0])
            self.relay, port = start_relay((server.hostname or "", server.port or 443), rtt)
            self.urls = [through(url, port) for url in self.urls]
        self.storage = open_storage(self.work / "data", MemoryStore())
        repo = self.storage.integrations
        self.ids = [
            repo.add("ical", f"Feed {n:03}", {"ca_file": self.ca_file}, {"url": url}).id
            for n, url in enumerate(self.urls)
        ]
        self.lone = repo.add("ical", "Lone", {"ca_file": self.ca_file}, {"url": self.urls[0]}).id
        self.floor_context = ssl.create_default_context(cafile=self.ca_file)
        self.generation = 0

    def close(self) -> None:
        self.pipe.send("stop")
        self.server.join(5)
        if self.relay is not None:
            self.relay.terminate()
            self.relay.join(5)

    def republish(self) -> None:
        self.generation += 1
        self.pipe.send(f"publish {self.generation}")
        self.pipe.recv()

    def accepted(self) -> int:
        self.pipe.send("accepted")
        return int(self.pipe.recv())

    def check(self, integration_id: int) -> bool:
        from app.core.checks import check_integration

        repo = self.storage.integrations
        outcome = check_integration(repo, repo.get(integration_id), metrics=self.storage.metrics, timeout=self.timeout)
        assert outcome.ok, outcome.error
        return outcome.ok

    def one(self, *, kept_alive: bool) -> float:
        """One check; with ``kept_alive`` on the connection the last check left, else on a new one."""
        from connectors.http_pool import shared_pool

        if not kept_alive:
            shared_pool().close_idle()
        return timed(lambda: self.check(self.lone))

    def connections(self, run: Callable[[], float]) -> tuple[float, int]:
        """``run()`` from no idle connection: its time, and how many connections the server accepted."""
        from connectors.http_pool import shared_pool

        shared_pool().close_idle()
        before = self.accepted()
        seconds = run()
        return seconds, self.accepted() - before

    def all_as_tui(self) -> float:
        """app.tui.health's _check_batch, without the App: the same concurrency, order and calls."""
        from app.core.check_batch import check_many
        from app.core.scheduler import slowest_first
        from app.core.scheduler import MANUAL_CONCURRENCY

        storage = self.storage
        # What the TUI holds when R is pressed: the rows and their health figures, read before.
        targets = storage.integrations.get_many(self.ids)
        latencies = {key: value.last_latency_ms for key, value in storage.metrics.health_all().items()}
        ordered = [targets[integration_id] for integration_id in slowest_first(list(targets), latencies)]

        def run() -> None:
            checked = 0
            for outcomes in check_many(
                storage.integrations, ordered, concurrency=MANUAL_CONCURRENCY, metrics=storage.metrics
            ):
                storage.metrics.health_all(only=[outcome.integration.id for outcome in outcomes])
                assert all(outcome.ok for outcome in outcomes), "every feed should check fine"
                checked += len(outcomes)
            assert checked == len(ordered)

        return timed(run)

    def all_as_cli(self) -> float:
        """`tether check`'s own loop (app.cli.commands), outcomes consumed as they finish."""
        from app.cli.commands import _checks_as_they_finish

        def run() -> None:
            targets = [self.storage.integrations.get(integration_id) for integration_id in self.ids]
            outcomes = list(_checks_as_they_finish(self.storage.integrations, targets, self.timeout))
            assert all(outcome.ok for outcome in outcomes), "every feed should check fine"

        return timed(run)

    def floor_concurrent(self, workers: int) -> float:
        def run() -> None:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                list(pool.map(lambda url: floor_get(self.floor_context, url), self.urls))

        return timed(run)

    def floor_serial(self) -> float:
        def run() -> None:
            for url in self.urls:
                floor_get(self.floor_context, url)

        return timed(run)

    def floor_one(self) -> float:
        return timed(lambda: floor_get(self.floor_context, self.urls[0]))


def median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=15.0)
    parser.add_argument("--singles", type=int, default=5, help="single checks per round (their median counts)")
    parser.add_argument(
        "--rtt", type=float, default=0.0, metavar="MS", help="round trip to add to every connection, in milliseconds"
    )
    args = parser.parse_args()

    from app.core.scheduler import MANUAL_CONCURRENCY

    print(f"load average before: {load()}  ({os.cpu_count()} CPUs)")
    if args.rtt:
        print(f"network: {args.rtt:g} ms round trip added by a relay ({args.rtt / 2:g} ms each way, per chunk)")
    bench = Bench(args.count, args.timeout, args.rtt / 1000)
    figures: dict[str, list[float]] = {}

    def note(name: str, seconds: float) -> None:
        figures.setdefault(name, []).append(seconds)

    try:
        bench.check(bench.lone)  # warm-up: imports, the TLS context for the CA file
        bench.floor_serial()
        for _ in range(args.rounds):
            for state in ("changed", "unchanged"):
                if state == "changed":
                    bench.republish()
                new, kept = [], []
                for _ in range(args.singles):
                    if state == "changed":
                        bench.republish()
                    new.append(bench.one(kept_alive=False))
                    if state == "changed":
                        bench.republish()
                    kept.append(bench.one(kept_alive=True))
                note(f"one new {state}", statistics.median(new))
                note(f"one kept {state}", statistics.median(kept))
                if state == "changed":
                    bench.republish()
                cpu = time.process_time()
                seconds, opened = bench.connections(bench.all_as_tui)
                note(f"tui {state}", seconds)
                note(f"tui {state} cpu", time.process_time() - cpu)
                note(f"tui {state} connections", opened)
                if state == "changed":
                    bench.republish()
                seconds, opened = bench.connections(bench.all_as_cli)
                note(f"cli {state}", seconds)
                note(f"cli {state} connections", opened)
            note("floor concurrent", bench.floor_concurrent(MANUAL_CONCURRENCY))
            note("floor serial", bench.floor_serial())
            note("floor one", statistics.median(bench.floor_one() for _ in range(args.singles)))
    finally:
        bench.close()

    n = args.count
    floor = min(median_ms(figures["floor concurrent"]), median_ms(figures["floor serial"]))
    print(f"medians of {args.rounds} rounds, {n} feeds")
    print(
        f"(c) floor: {n} TLS handshakes + GET, {MANUAL_CONCURRENCY} at a time  {median_ms(figures['floor concurrent']):8.0f} ms"
    )
    print(f"(c) floor: {n} TLS handshakes + GET, one after another  {median_ms(figures['floor serial']):8.0f} ms")
    floor_one = median_ms(figures["floor one"])
    print(
        f"    floor: one TLS handshake + GET                  {floor_one:8.1f} ms  ({n} of them = {floor / floor_one:.0f}x one)"
    )
    for state in ("changed", "unchanged"):
        one = median_ms(figures[f"one kept {state}"])
        one_new = median_ms(figures[f"one new {state}"])
        print(f"feed {state}:")
        print(f"  (a) one healthy check, kept-alive connection    {one:8.1f} ms")
        print(f"  (a) one healthy check, new connection           {one_new:8.1f} ms")
        for name, how in (
            ("tui", f"check all (R), {MANUAL_CONCURRENCY} at a time"),
            ("cli", f"tether check, {MANUAL_CONCURRENCY} at a time"),
        ):
            many = median_ms(figures[f"{name} {state}"])
            connections = statistics.median(figures[f"{name} {state} connections"])
            verdict = "met" if many / one <= GOAL else "MISSED"
            print(
                f"  (b) {n} at once, {how:32} {many:8.0f} ms  = {many / one:5.1f}x one check (goal <= {GOAL:g}x: {verdict});"
                f" {many / one_new:5.1f}x one on a new connection; {many / floor:4.1f}x the floor;"
                f" {connections:.0f} TLS connections"
            )
        cpu = median_ms(figures[f"tui {state} cpu"])
        print(f"      check all used {cpu:.0f} ms of CPU in tether's process ({cpu / n:.1f} ms per check)")
    print(f"load average after: {load()}")


if __name__ == "__main__":
    main()
