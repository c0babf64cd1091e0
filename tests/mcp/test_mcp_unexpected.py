"""A connector failing in a way nobody anticipated: the tool answer says what was being done, as data."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from app.core.health import UnexpectedFailure
from app.mcp.calls import ToolCall
from app.mcp.errors import ToolRefusal
from app.mcp.scope import Scope
from tests.health.conftest import add_feed


def test_an_unexpected_exception_names_the_action_and_the_exception_type(storage) -> None:  # type: ignore[no-untyped-def]
    integration = storage.integrations.get(add_feed(storage))

    def broken(secrets: Mapping[str, str], timeout: float) -> None:
        raise RuntimeError("internal detail that must not reach the client")

    with pytest.raises(ToolRefusal) as caught:
        ToolCall(storage, Scope(None)).run(integration, broken, what="reading the events")
    assert caught.value.message == "Unexpected problem while reading the events (RuntimeError)."
    assert storage.metrics.health(integration.id).errors == 1  # counted like any failed call


def test_the_unexpected_failure_is_a_type_not_a_message_prefix() -> None:
    failure = UnexpectedFailure("KeyError", "while listing the folders")
    assert (
        failure.exception == "KeyError" and str(failure) == "Unexpected problem while listing the folders (KeyError)."
    )
