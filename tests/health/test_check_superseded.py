"""A check that was running when the settings were edited must not record its outcome for them."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from app.core.checks import check_integration
from storage.records import Role, Status
from storage.service import Storage
from storage.records import LinkSpec
from tests.servers.feeds import sample_feed


class GatedFeed:
    """Serves a good feed, but only once the test says so: the check is mid-flight until then.

    A real server cannot be held at one point on demand; this one exists for that alone.
    """

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.release = threading.Event()
        gate = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                gate.arrived.set()
                gate.release.wait(30)
                body = sample_feed()
                self.send_response(200)
                self.send_header("Content-Type", "text/calendar")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/team.ics"

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def gated() -> Iterator[GatedFeed]:
    server = GatedFeed()
    yield server
    server.close()


def test_an_edit_during_a_check_discards_the_checks_outcome(storage: Storage, gated: GatedFeed) -> None:
    repo = storage.integrations
    integration = repo.add("ical", "Team", {}, {"url": gated.url})
    outcomes = []
    checking = threading.Thread(target=lambda: outcomes.append(check_integration(repo, integration)))
    checking.start()
    assert gated.arrived.wait(30), "the check never reached the server"
    assert repo.get(integration.id).status is Status.CHECKING
    repo.update(integration.id, secrets={"url": "https://broken.invalid/team.ics"})
    gated.release.set()
    checking.join(30)
    (outcome,) = outcomes
    assert outcome.result is None and outcome.error is None
    assert outcome.discarded == "'Team' was changed while it was being checked; that check's result was discarded."
    stored = repo.get(integration.id)
    assert stored.status is Status.NOT_CHECKED and stored.check_summary == "" and stored.last_checked_at is None
    health = storage.metrics.health(integration.id)
    assert health.requests == 1 and health.errors == 0  # the server did answer: that sample counts


def test_a_workflow_linked_during_a_check_is_in_the_record_the_check_returns(
    storage: Storage, gated: GatedFeed
) -> None:
    repo = storage.integrations
    integration = repo.add("ical", "Team", {}, {"url": gated.url})
    outcomes = []
    checking = threading.Thread(target=lambda: outcomes.append(check_integration(repo, integration)))
    checking.start()
    assert gated.arrived.wait(30), "the check never reached the server"
    storage.workflows.add("Digest", links=[LinkSpec(integration.id, Role.SOURCE)])  # changes no version
    gated.release.set()
    checking.join(30)
    (outcome,) = outcomes
    assert outcome.ok and not outcome.discarded
    assert [use.workflow_name for use in outcome.integration.used_by] == ["Digest"]
    assert outcome.integration == repo.get(integration.id)


def test_a_check_with_nothing_edited_meanwhile_is_recorded(storage: Storage, gated: GatedFeed) -> None:
    repo = storage.integrations
    integration = repo.add("ical", "Team", {}, {"url": gated.url})
    gated.release.set()
    outcome = check_integration(repo, integration)
    assert outcome.ok and not outcome.discarded
    assert repo.get(integration.id).status is Status.CONNECTED
