"""Refusals: every connector failure kind maps to a reason and a tether command, and secrets are scrubbed."""

from __future__ import annotations

import pytest

from app.mcp.errors import Reason, ToolRefusal, action_for, refusal_from, scrub
from app.mcp.server import scrub_values
from connectors.errors import ConnectorError, ErrorKind


@pytest.mark.parametrize("kind", list(ErrorKind))
def test_every_connector_kind_has_a_reason_and_an_action(kind: ErrorKind) -> None:
    refusal = refusal_from(ConnectorError(kind, "Something failed.", hint="A hint."), "Work mail")
    assert refusal.reason == Reason(str(kind))
    assert ("'Work mail'" in refusal.action) or ("TETHER_PASSPHRASE_COMMAND" in refusal.action)
    assert refusal.text().startswith("Work mail: Something failed. A hint. What to do: ")
    assert refusal.to_dict()["reason"] == str(kind)


def test_rate_limit_action_says_how_long_to_wait() -> None:
    assert "Wait 120 s" in action_for(ErrorKind.RATE_LIMITED, "Feed", retry_after=120)
    refusal = refusal_from(ConnectorError(ErrorKind.RATE_LIMITED, "Slow down.", retry_after=30.0), "Feed")
    assert refusal.retry_after == 30.0 and refusal.to_dict()["retry_after"] == 30.0


def test_labels_are_shell_quoted_in_commands() -> None:
    assert "`tether check 'Work mail'`" in action_for(ErrorKind.UNREACHABLE, "Work mail")
    assert "`tether reauth Gmail`" in action_for(ErrorKind.NEEDS_REAUTH, "Gmail")


def test_scrub_replaces_secrets_longest_first_and_leaves_short_words() -> None:
    secrets = {"hunter2-long-secret", "hunter2", "abc"}
    assert scrub("pw hunter2-long-secret and hunter2, abc", secrets) == "pw [redacted] and [redacted], abc"
    refusal = ToolRefusal(Reason.AUTH, "Refused hunter2.", action="Not hunter2.", label="Mail").scrubbed(secrets)
    assert "hunter2" not in refusal.text()


def test_scrub_values_walks_nested_results() -> None:
    result = {"a": ["x token-12345 y", {"b": "token-12345"}], "n": 3, "none": None}
    assert scrub_values(result, {"token-12345"}) == {"a": ["x [redacted] y", {"b": "[redacted]"}], "n": 3, "none": None}
    assert scrub_values(result, set()) is result
