"""Where tether keeps its data: platformdirs by default, overridable per run."""

from __future__ import annotations

import os
import shlex
import stat
from pathlib import Path

from storage.errors import StorageError

ENV_DATA_DIR = "TETHER_DATA_DIR"
DATABASE_NAME = "tether.db"
VAULT_NAME = "secrets.vault"


def default_data_dir() -> Path:
    import platformdirs

    return platformdirs.user_data_path("tether")


def resolve_data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """--data-dir wins, then TETHER_DATA_DIR, then the platform's user data directory."""
    if explicit:
        return Path(explicit).expanduser()
    if env := os.environ.get(ENV_DATA_DIR):
        return Path(env).expanduser()
    return default_data_dir()


class DataDirError(StorageError):
    """A data directory tether cannot use (missing, shared with other users, not a directory)."""


def writable_by_others(mode: int) -> bool:
    return bool(mode & (stat.S_IWGRP | stat.S_IWOTH))


def shared_directory_message(path: Path, mode: int) -> str:
    return (
        f"The data directory {path} can be written by other users (mode {stat.S_IMODE(mode):o}); "
        f"tether will not use it. Run `chmod 700 {shlex.quote(str(path))}` and start again."
    )


def ensure_data_dir(path: Path) -> Path:
    """Create the directory private to the user (0700) if it is new; refuse one others can write.

    Like ssh with ~/.ssh: anyone who can write the directory can swap the database or the vault
    for their own, so nothing is read from or written into it until its owner fixes the mode.
    """
    try:
        if not path.exists():
            path.mkdir(parents=True, mode=0o700)
            os.chmod(path, 0o700)  # mkdir's mode is filtered by the umask
        elif not path.is_dir():
            raise DataDirError(f"{path} exists but is not a directory; choose another --data-dir.")
        mode = path.stat().st_mode
    except PermissionError:
        raise DataDirError(f"Cannot create the data directory {path}: permission denied.") from None
    if writable_by_others(mode):
        raise DataDirError(shared_directory_message(path, mode))
    if not os.access(path, os.W_OK | os.X_OK):
        raise DataDirError(
            f"The data directory {path} is not writable; fix its permissions or choose another --data-dir."
        )
    return path
