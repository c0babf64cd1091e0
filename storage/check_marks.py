"""Which integrations another tether process is checking right now.

A check holds a lock on one byte of ``checking.lock`` (the byte at the integration's id) for as long
as it runs; the lock goes with the process, so a crash leaves nothing behind. Another process that
finds a row "checking" asks whether that byte is locked: if so the check is alive elsewhere, not
interrupted. POSIX record locks belong to the process, so a process never sees its own checks here.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class CheckMarks:
    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._fd: int | None = None
        self._held: Counter[int] = Counter()
        self._lock = threading.Lock()

    def _file(self) -> int | None:
        # One descriptor for the process's lifetime: closing any descriptor of the file would drop
        # every lock this process holds on it.
        if self._fd is None and self._path is not None:
            try:
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError:
                self._path = None
        return self._fd

    @contextmanager
    def checking(self, integration_id: int) -> Iterator[None]:
        with self._lock:
            fd = self._file()
            if fd is not None and not self._held[integration_id]:
                # OSError: another process checks it too; this check still runs.
                with contextlib.suppress(OSError):
                    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, integration_id)
            self._held[integration_id] += 1
        try:
            yield
        finally:
            with self._lock:
                self._held[integration_id] -= 1
                if not self._held[integration_id]:
                    del self._held[integration_id]
                    if fd is not None:
                        fcntl.lockf(fd, fcntl.LOCK_UN, 1, integration_id)

    def elsewhere(self, integration_id: int) -> bool:
        """True while another tether process is checking this integration."""
        with self._lock:
            fd = self._file()
            if fd is None or self._held[integration_id]:
                return False  # this process's own check (a probe would release its lock)
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, integration_id)
            except OSError:
                return True
            fcntl.lockf(fd, fcntl.LOCK_UN, 1, integration_id)
            return False
