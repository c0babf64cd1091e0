"""Adding an integration through `tether` the way a script does, whichever way a test runs the command."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

Result = TypeVar("Result")


def add_ical(run: Callable[..., Result], label: str, url: str, *options: str, **run_options: Any) -> Result:
    """`tether add ical --label <label> --secret-stdin url <options>`, the feed URL on stdin (it is a secret).

    ``run`` is the test's way to start `tether` (the ``tether_cli`` fixture, or a module's own runner with its
    data directory bound); ``run_options`` go to it as they are, e.g. ``extra_env``. The caller judges the result.
    """
    return run("add", "ical", "--label", label, "--secret-stdin", "url", *options, input=url + "\n", **run_options)
