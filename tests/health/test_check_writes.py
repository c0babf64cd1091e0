"""What one check writes: few transactions, because check all runs a hundred of them at once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import event

from app.core.checks import check_integration
from storage.errors import NotFound, Superseded
from storage.records import Status
from storage.service import Storage
from tests.connectors.calendar_fixtures import feed_server  # noqa: F401 - fixture
from tests.servers.feeds import FeedServer


@pytest.fixture
def commits(storage: Storage) -> Iterator[list[list[str]]]:
    """Every committed transaction on the database, as the writes it made (their first three words)."""
    seen: list[list[str]] = []
    pending: list[str] = []

    def before(conn, cursor, statement: str, *args: object) -> None:  # type: ignore[no-untyped-def]
        words = statement.split(None, 3)
        if words and words[0] in ("INSERT", "UPDATE", "DELETE"):
            pending.append(" ".join(words[:3]))

    def committed(conn) -> None:  # type: ignore[no-untyped-def]
        if pending:
            seen.append(list(pending))
            pending.clear()

    def rolled_back(conn) -> None:  # type: ignore[no-untyped-def]
        pending.clear()

    engine = storage.integrations.engine
    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "commit", committed)
    event.listen(engine, "rollback", rolled_back)
    yield seen
    event.remove(engine, "before_cursor_execute", before)
    event.remove(engine, "commit", committed)
    event.remove(engine, "rollback", rolled_back)


def test_a_healthy_check_commits_two_transactions_and_records_everything(
    storage: Storage,
    feed_server: FeedServer,
    commits: list[list[str]],  # noqa: F811 - fixture
) -> None:
    repo = storage.integrations
    integration = repo.add("ical", "Team", {"ca_file": str(feed_server.ca_file)}, {"url": feed_server.url("/team.ics")})
    commits.clear()
    outcome = check_integration(repo, integration, metrics=storage.metrics)
    assert outcome.ok, outcome.error
    # "Checking", then the result with its health sample and breaker. Old samples are pruned now
    # and then, not at every check: here for the first sample this process records for it.
    checking, result = ["UPDATE integrations SET"], ["UPDATE integrations SET", "INSERT INTO call_samples"]
    breaker, prune = ["UPDATE integrations SET"], ["DELETE FROM call_samples"] * 2
    assert commits == [checking, result + breaker + prune]
    assert outcome.integration == repo.get(integration.id)  # what the check returns is what is stored
    commits.clear()
    assert check_integration(repo, integration, metrics=storage.metrics).ok
    assert commits == [checking, result + breaker]
    stored = repo.get(integration.id)
    assert stored.status is Status.CONNECTED and stored.check_summary.startswith("Team: ")
    health = storage.metrics.health(integration.id)
    assert health.requests == 2 and health.errors == 0 and health.last_success_at is not None
    assert health.breaker.failures == 0


def test_marking_a_status_keeps_the_detail_and_refuses_a_moved_version(storage: Storage) -> None:
    repo = storage.integrations
    integration = repo.add("ical", "Team", {}, {"url": "https://example.invalid/team.ics"})
    repo.set_status(integration.id, Status.ERROR, "The server did not answer.")
    repo.mark_status(integration.id, Status.CHECKING, expected_version=integration.version)
    stored = repo.get(integration.id)
    assert stored.status is Status.CHECKING and stored.status_detail == "The server did not answer."
    repo.update(integration.id, secrets={"url": "https://example.invalid/other.ics"})
    with pytest.raises(Superseded, match="'Team' was changed while it was being checked"):
        repo.mark_status(integration.id, Status.CHECKING, expected_version=integration.version)
    repo.remove(integration.id)
    with pytest.raises(NotFound):
        repo.mark_status(integration.id, Status.CHECKING, expected_version=integration.version)


def test_a_failed_check_records_its_error_and_moves_the_breaker(storage: Storage) -> None:
    repo = storage.integrations
    integration = repo.add("ical", "Team", {}, {"url": "http://127.0.0.1:9/team.ics"})  # the discard port
    outcome = check_integration(repo, integration, metrics=storage.metrics, timeout=5)
    assert outcome.error is not None
    stored = repo.get(integration.id)
    assert stored.status is Status.ERROR and stored.status_detail == str(outcome.error)
    health = storage.metrics.health(integration.id)
    assert health.requests == 1 and health.errors == 1 and health.last_error == str(outcome.error)
    assert health.breaker.failures == 1


def test_warnings_are_kept_as_one_line_of_sentences(storage: Storage) -> None:
    from app.core.checks import record_success
    from connectors.types import CheckResult

    integration = storage.integrations.add("ical", "Team", {}, {"url": "https://example.invalid/team.ics"})
    result = CheckResult(
        "Team: 2 events", warnings=("The feed uses http://.", "Series 'Tick' cut after 1,000 occurrences")
    )
    stored = record_success(storage.integrations, integration.id, result)
    assert stored.status_detail == "The feed uses http://. Series 'Tick' cut after 1,000 occurrences."


def test_a_check_before_the_first_sign_in_is_no_health_sample(storage: Storage) -> None:
    """Saving a new OAuth integration tests it before its sign-in: that says nothing about the server."""
    integration = storage.integrations.add("outlook", "Work", {"client_id": "app-id", "tenant": "common"}, {})
    outcome = check_integration(storage.integrations, integration, metrics=storage.metrics)
    assert outcome.error is not None and "Not signed in" in outcome.error.message
    health = storage.metrics.health(integration.id)
    assert health.requests == 0 and health.breaker.failures == 0
