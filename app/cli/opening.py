"""What every subcommand starts with: open the data directory, unlock the secrets, report what a person can fix.

Its own module so that the subcommand modules (commands, oauth_cli, health_commands, workflow_commands)
all import it and none of them imports another for these.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from app.cli.errors import CliError
from connectors.registry import UnknownType
from storage.errors import StorageError

if TYPE_CHECKING:
    from app.core.context import Context


@contextmanager
def expected_errors() -> Iterator[None]:
    """Turn the failures a person can fix into one line on stderr, not a traceback."""
    try:
        yield
    except StorageError as exc:  # the database, the data directory and the secret store too
        raise CliError(str(exc)) from None
    except UnknownType as exc:
        raise CliError(str(exc)) from None


def cli_context(args: argparse.Namespace) -> Context:
    from app.core.context import open_context

    with expected_errors():
        return open_context(args.data_dir)


def unlock(context: Context) -> None:
    """Make the secret store usable (passphrase command or prompt), or end the command in words."""
    from app.cli.secrets_prompt import ensure_unlocked

    with expected_errors():
        ensure_unlocked(context.secrets)
        context.secrets_ready()
