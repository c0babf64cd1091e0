"""Every log file is private (0600) from the moment it exists, including those made by rotation."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.logging_setup import BACKUPS, LOG_NAME, setup_logging


@pytest.fixture
def loose_umask() -> Iterator[None]:
    previous = os.umask(0o022)  # what most systems hand a process: new files 0644
    yield
    os.umask(previous)


@pytest.fixture
def log_handler() -> Iterator[None]:
    yield
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "tether_handler", False):
            root.removeHandler(handler)
            handler.close()


def modes(directory: Path) -> dict[str, int]:
    return {path.name: path.stat().st_mode & 0o777 for path in directory.iterdir()}


def test_log_files_are_0600_from_the_start_and_after_every_rotation(
    tmp_path: Path, loose_umask: None, log_handler: None
) -> None:
    path = setup_logging(directory=tmp_path / "logs")
    assert path is not None and modes(path.parent) == {LOG_NAME: 0o600}
    handler = next(h for h in logging.getLogger().handlers if getattr(h, "tether_handler", False))
    assert isinstance(handler, logging.handlers.RotatingFileHandler)
    for round_number in range(BACKUPS + 1):
        logging.getLogger("tether.test").warning("line %d", round_number)
        handler.doRollover()
        assert set(modes(path.parent).values()) == {0o600}, modes(path.parent)
    assert len(modes(path.parent)) == BACKUPS + 1
    assert (path.parent).stat().st_mode & 0o777 == 0o700


def test_a_log_file_left_world_readable_by_an_older_tether_becomes_private(
    tmp_path: Path, loose_umask: None, log_handler: None
) -> None:
    directory = tmp_path / "logs"
    directory.mkdir()
    (directory / LOG_NAME).write_text("old line\n")
    (directory / LOG_NAME).chmod(0o644)
    setup_logging(directory=directory)
    assert modes(directory)[LOG_NAME] == 0o600
    assert (directory / LOG_NAME).read_text().startswith("old line")
