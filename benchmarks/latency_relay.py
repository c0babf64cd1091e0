"""A TCP relay that adds a network's round trip to a loopback server, for benchmarks.

On loopback a request costs no waiting, so checks that run at once only queue for the one CPU
Python gives them; over a real network most of a check is waiting. The relay listens on its own
port and forwards each connection to the server, delivering every chunk half the round trip
after it was read, in order, in each direction. A new connection's first bytes towards the
server wait one round trip more: the TCP handshake the loopback connect did not cost.

Runs in its own process (``start_relay``), so its threads do not compete with the measured ones
for the GIL; one thread reads and one writes per direction of each connection.
"""

from __future__ import annotations

import contextlib
import queue
import socket
import threading
import time
from typing import Any

CHUNK = 65536


def start_relay(upstream: tuple[str, int], rtt: float) -> tuple[Any, int]:
    """A relay process in front of ``upstream`` adding ``rtt`` seconds per round trip; it and its port."""
    import multiprocessing

    ours, theirs = multiprocessing.Pipe()
    process = multiprocessing.get_context("fork").Process(target=_serve, args=(upstream, rtt, theirs), daemon=True)
    process.start()
    return process, int(ours.recv())


def _serve(upstream: tuple[str, int], rtt: float, connection: Any) -> None:
    listener = socket.create_server(("127.0.0.1", 0), backlog=256)
    connection.send(listener.getsockname()[1])
    while True:
        client, _ = listener.accept()
        threading.Thread(target=_relay, args=(client, upstream, rtt), daemon=True).start()


def _relay(client: socket.socket, upstream: tuple[str, int], rtt: float) -> None:
    accepted = time.monotonic()
    try:
        server = socket.create_connection(upstream)
    except OSError:
        client.close()
        return
    for sock in (client, server):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as the server does: no Nagle delay on top
    directions = [
        threading.Thread(target=_pump, args=(client, server, rtt / 2, accepted + rtt), daemon=True),
        threading.Thread(target=_pump, args=(server, client, rtt / 2, accepted), daemon=True),
    ]
    for direction in directions:
        direction.start()
    for direction in directions:
        direction.join()
    client.close()
    server.close()


def _pump(source: socket.socket, target: socket.socket, delay: float, not_before: float) -> None:
    """Forward ``source`` to ``target``, each chunk ``delay`` after it was read (never before ``not_before``)."""
    due: queue.Queue[tuple[float, bytes]] = queue.Queue()
    writer = threading.Thread(target=_deliver, args=(due, source, target), daemon=True)
    writer.start()
    try:
        while chunk := source.recv(CHUNK):
            due.put((max(time.monotonic(), not_before) + delay, chunk))
    except OSError:
        pass  # reset or shut down: pass the end on, as for a clean one
    due.put((max(time.monotonic(), not_before) + delay, b""))
    writer.join()


def _deliver(due: queue.Queue[tuple[float, bytes]], source: socket.socket, target: socket.socket) -> None:
    while True:
        at, chunk = due.get()
        time.sleep(max(0.0, at - time.monotonic()))
        try:
            if not chunk:
                target.shutdown(socket.SHUT_WR)  # the end of this direction, once its data arrived
                return
            target.sendall(chunk)
        except OSError:
            with contextlib.suppress(OSError):  # the other side is gone: stop reading for it too
                source.shutdown(socket.SHUT_RDWR)
            return
