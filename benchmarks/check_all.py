"""How checking many integrations scales, and what the TUI costs in memory with very many.

    python benchmarks/check_all.py [--count 100] [--timeout 3] [--concurrency 16] [--tui-count 10000]

1. Starts a loopback HTTPS feed server, adds ``count`` iCal integrations (one of them pointing
   at a URL that accepts the connection and never answers) and times: one healthy check, the
   hung one alone, and all of them at once with bounded concurrency. The goal: checking all
   costs at most 2x the slowest single check, i.e. the hung server delays only its own row.
2. Fills a database with ``tui-count`` integrations and measures the resident memory after
   loading them (storage, health) and, when the TUI is present, after the App has shown them.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sqlite3
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


class MemoryStore:
    """A secret store in this process only: the benchmark must not touch a real keyring."""

    kind = "keyring"
    description = "in-memory store (benchmark)"

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def get(self, key: str) -> str | None:
        return self.values.get(key)

    def set(self, key: str, value: str) -> None:
        self.values[key] = value

    def delete(self, key: str) -> None:
        self.values.pop(key, None)


def rss_mb() -> float:
    """Current resident set size (Linux /proc), falling back to the peak from getrusage."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def serve_feeds(work: Path, count: int, connection) -> None:  # type: ignore[no-untyped-def]
    """The feed server runs in its own process, as a real server would: it must not share our GIL."""
    from tests.servers.feeds import sample_feed, start_feed_server
    from tests.servers.tls import make_ca

    ca = make_ca(work / "ca")
    server = start_feed_server(ca.issue("feeds"), ca_file=ca.ca_file)
    urls = [server.publish(f"/feed-{number}.ics", sample_feed(name=f"Feed {number}")) for number in range(count)]
    connection.send((str(ca.ca_file), urls, server.url("/hang.ics")))
    connection.recv()  # until told to stop
    server.close()


def bench_checks(count: int, timeout: float, concurrency: int) -> dict[str, float]:
    import multiprocessing

    from app.core.checks import check_integration
    from app.core.scheduler import slowest_first
    from storage.service import open_storage

    work = Path(tempfile.mkdtemp(prefix="tether-bench-"))
    ours, theirs = multiprocessing.Pipe()
    server = multiprocessing.get_context("fork").Process(target=serve_feeds, args=(work, count, theirs), daemon=True)
    server.start()
    ca_file, urls, hang_url = ours.recv()
    try:
        storage = open_storage(work / "data", MemoryStore())  # type: ignore[arg-type]
        repo = storage.integrations
        ids = [
            repo.add("ical", f"Feed {n:03}", {"ca_file": ca_file}, {"url": url}).id
            for n, url in enumerate(urls[: count - 1])
        ]
        hung = repo.add("ical", "Hung", {"ca_file": ca_file}, {"url": hang_url}).id

        def check(integration_id: int) -> bool:
            return check_integration(repo, repo.get(integration_id), timeout=timeout).ok

        check(ids[0])  # warm-up: imports, TLS context
        one = timed(lambda: check(ids[1]))
        hung_alone = timed(lambda: check(hung))

        def check_all() -> None:
            healths = storage.metrics.health_all()
            order = slowest_first([*ids, hung], {key: value.last_latency_ms for key, value in healths.items()})
            with ThreadPoolExecutor(max_workers=concurrency) as pool:
                results = list(pool.map(check, order))
            assert sum(results) == count - 1, "every healthy feed should check fine"

        first = timed(check_all)  # the hung one was measured above, so it starts first
        storage.metrics.record(hung, ok=True, latency_ms=0.0)  # forget that: the hung one now starts last
        worst = timed(check_all)
        return {"one": one, "hung": hung_alone, "all": first, "all_worst": worst}
    finally:
        ours.send("stop")
        server.join(5)


def fill(path: Path, count: int) -> None:
    """Rows straight into SQLite: adding 10 000 through the repository would time the wrong thing."""
    with sqlite3.connect(path) as conn:
        now = "2026-01-01 00:00:00.000000"
        conn.executemany(
            "INSERT INTO integrations (label, label_key, type_key, settings, secret_ref, secret_store, secret_names,"
            " status, status_detail, pending, created_at, updated_at, check_summary, connector_state,"
            " breaker_state, breaker_failures, last_error)"
            " VALUES (?, ?, 'ical', '{}', ?, NULL, '[]', 'not_checked', '', 0, ?, ?, '', '{}', 'closed', 0, '')",
            [(f"Feed {n:05}", f"feed {n:05}", uuid.uuid4().hex, now, now) for n in range(count)],
        )


def bench_memory(count: int) -> dict[str, float]:
    from storage.paths import DATABASE_NAME
    from storage.service import open_storage

    work = Path(tempfile.mkdtemp(prefix="tether-bench-mem-"))
    figures = {"baseline": rss_mb()}
    storage = open_storage(work / "data", MemoryStore())  # type: ignore[arg-type]
    fill(work / "data" / DATABASE_NAME, count)
    started = time.perf_counter()
    items = storage.integrations.list()
    storage.metrics.health_all()
    figures["load_s"] = time.perf_counter() - started
    figures["storage"] = rss_mb()
    assert len(items) == count
    try:
        from app.tui.tether_app import TetherApp  # noqa: F401
    except ImportError:
        return figures
    figures.update(asyncio.run(_tui_memory(work / "data")))
    return figures


async def _tui_memory(data_dir: Path) -> dict[str, float]:
    import inspect

    from app.tui.tether_app import TetherApp

    parameters = inspect.signature(TetherApp).parameters
    app = TetherApp(data_dir=data_dir) if "data_dir" in parameters else TetherApp()
    started = time.perf_counter()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        return {"tui": rss_mb(), "tui_s": time.perf_counter() - started}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--timeout", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--tui-count", type=int, default=10_000)
    args = parser.parse_args()

    checks = bench_checks(args.count, args.timeout, args.concurrency)
    print(f"check one healthy feed      {checks['one'] * 1000:8.0f} ms")
    print(f"check the hung feed alone   {checks['hung'] * 1000:8.0f} ms  (timeout {args.timeout:.0f} s)")
    slowest = max(checks["hung"], checks["one"])
    print(
        f"check all {args.count:4} at once     {checks['all'] * 1000:8.0f} ms  ({args.concurrency} at a time, slowest first)"
    )
    print(f"  ... hung one started last {checks['all_worst'] * 1000:8.0f} ms  (worst case)")
    print(
        f"ratio all / slowest single  {checks['all'] / slowest:8.2f} x   (goal <= 2; worst case {checks['all_worst'] / slowest:.2f} x)"
    )
    print(f"ratio all / healthy single  {checks['all'] / checks['one']:8.1f} x")

    memory = bench_memory(args.tui_count)
    print(f"RSS before loading          {memory['baseline']:8.1f} MB")
    print(
        f"RSS with {args.tui_count} loaded     {memory['storage']:8.1f} MB  (list + health in {memory['load_s'] * 1000:.0f} ms)"
    )
    if "tui" in memory:
        print(f"RSS with the TUI showing them {memory['tui']:6.1f} MB  (started in {memory['tui_s']:.1f} s)")
    else:
        print("TUI not present: its memory was not measured")


if __name__ == "__main__":
    main()
