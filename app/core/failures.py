"""Failures of the machine rather than of tether: a full disk, a read-only or unwritable directory.

They can surface from SQLite or from a secret file write anywhere in a command; the CLI turns them
into one line saying what happened and that nothing was half-saved (storage writes in an order
that guarantees it).
"""

from __future__ import annotations

import errno

_DISK_FULL = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT}
_NOT_WRITABLE = {errno.EROFS, errno.EACCES, errno.EPERM}


def describe(exc: BaseException) -> str | None:
    """A sentence for a disk or permission failure, None for anything else."""
    if isinstance(exc, OSError) and exc.errno in _DISK_FULL:
        return _full(exc.filename)
    if isinstance(exc, OSError) and exc.errno in _NOT_WRITABLE:
        where = f" ({exc.filename})" if exc.filename else ""
        return f"Cannot write to the data directory{where}: it is read-only or not yours. Nothing was changed."
    if type(exc).__module__.startswith(("sqlalchemy", "sqlite3")):
        text = str(getattr(exc, "orig", exc)).lower()
        if "disk is full" in text or "disk i/o error" in text or "file too large" in text:
            return _full(None)
        if "readonly" in text or "read-only" in text or "unable to open" in text:
            return "Cannot write to the database: the data directory is read-only or not yours. Nothing was changed."
    return None


def _full(filename: str | None) -> str:
    where = f" ({filename})" if filename else ""
    return f"The disk is full{where}: the change was not saved and nothing was half-written. Free some space and try again."
